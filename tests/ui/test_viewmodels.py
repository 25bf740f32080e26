"""View models without a window: Markdown blocks, streaming chunks, formatting, settings.
A message's rows (branches, its action bar) are tested in test_message_rows.py."""

from __future__ import annotations

from typing import Any

from llamadesk.core.app import App
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.hub import Fit, HubFileChoice, HubRepoFiles
from llamadesk.core.models.library import ModelSummary, RemoteModelInfo
from llamadesk.core.models.llama import ModelActivity, ModelState, ModelStatus, RuntimeStatus
from llamadesk.core.models.settings import SettingField, SettingKind, SettingsGroup, SettingsSchema
from llamadesk.ui.viewmodels.downloads import Download
from llamadesk.ui.viewmodels.formatting import fit_badge, human_bytes, human_eta
from llamadesk.ui.viewmodels.library import choice_rows, model_row, quant_of, remote_row
from llamadesk.ui.viewmodels.markdown_blocks import markdown_to_blocks
from llamadesk.ui.viewmodels.settings_form import (
    field_error,
    form_groups,
    group_description,
    parse_text,
    to_text,
    value_at,
)
from llamadesk.ui.viewmodels.streaming import CODE_CHUNK_LINES, StreamingText


def test_markdown_blocks_cover_the_common_cases() -> None:
    text = "# Title\n\nSome **bold**, *it*, `code` and [a link](https://x.org) [x] & y.\n\n- one\n- two\n\n```python\ndef f():\n    return 1\n```\n\n---\n"
    blocks = markdown_to_blocks(text)
    assert [b.kind for b in blocks] == ["text", "text", "text", "code", "rule"]
    assert "[b]Title[/b]" in blocks[0].markup
    para = blocks[1].markup
    assert "[b]bold[/b]" in para and "[i]it[/i]" in para and "[ref=https://x.org]" in para
    assert "&bl;x&br; &amp; y" in para  # user brackets never become markup tags
    assert blocks[2].markup == "• one\n• two"
    assert blocks[3].language == "python" and blocks[3].source == "def f():\n    return 1"
    assert "[color=" in blocks[3].markup


def test_streaming_freezes_paragraphs_and_long_code_in_chunks() -> None:
    stream = StreamingText()
    code = "".join(f"line{i}\n" for i in range(CODE_CHUNK_LINES + 5))
    text = "Para one\ncontinues\n\nPara two\n\n```py\n" + code + "```\nafter"
    frozen: list[str] = []
    for ch in text:
        frozen += stream.append(ch)
    assert frozen[0] == "Para one\ncontinues\n\n"
    assert frozen[1] == "Para two\n\n"
    assert frozen[2].startswith("```py\nline0") and frozen[2].endswith("```\n")  # closed for rendering
    assert frozen[3].startswith("```py\nline")  # re-opened with the same language
    assert stream.tail == "after"
    assert stream.finish() == ["after"]
    # Nothing is lost: the chunks hold every line of the text.
    joined = "".join(frozen)
    assert all(f"line{i}\n" in joined for i in range(CODE_CHUNK_LINES + 5))


def test_formatting_and_fit() -> None:
    assert human_bytes(98_000_000) == "98.0 MB"
    assert human_eta(10_000_000, 1_000_000) == "10s left"
    assert fit_badge(1e9, 16e9) == "fits"
    assert fit_badge(10e9, 13e9) == "tight"
    assert fit_badge(20e9, 16e9) == "too big"
    assert quant_of("SmolLM2-135M-Instruct.Q4_1.gguf") == "Q4_1"
    assert quant_of("model-q4_k_m.gguf") == "Q4_K_M"


def hub_choice(name: str, size: int | None, fit: Fit, **fields: Any) -> HubFileChoice:
    return HubFileChoice(name=name, quant=name, files=[f"m-{name}.gguf"], size=size, fit=fit, **fields)


def test_a_repos_choices_show_their_fit_and_the_recommended_one() -> None:
    repo = HubRepoFiles(
        repo_id="user/M-GGUF",
        commit="c" * 40,
        choices=[
            hub_choice("Q2_K", 1_000_000_000, Fit.FITS),
            hub_choice("Q4_K_M", 2_000_000_000, Fit.FITS),
            hub_choice("Q8_0", 7_000_000_000, Fit.TIGHT),
            hub_choice("F16", None, Fit.UNKNOWN),
            HubFileChoice(
                name="Q6_K",
                quant="Q6_K",
                files=["Q6_K/m-00001-of-00002.gguf"],
                split_count=2,
                complete=False,
                fit=Fit.TOO_BIG,
            ),
        ],
        recommended="Q4_K_M",
        context_size=4096,
        memory_bytes=8_000_000_000,
    )
    rows = choice_rows(repo)
    assert [r["name"] for r in rows if r["recommended"]] == ["Q4_K_M"]
    assert [r["fit"] for r in rows] == ["fits", "fits", "tight", "size unknown", "too big"]
    assert rows[1]["reference"] == "hf.co/user/M-GGUF:Q4_K_M"
    assert (rows[1]["size_text"], rows[1]["detail"]) == ("2.0 GB", "m-Q4_K_M.gguf")
    assert rows[3]["size_text"] == ""
    assert rows[4]["detail"] == "2 parts, some missing" and not rows[4]["can_pull"]


def test_download_progress_text() -> None:
    download = Download("registry/ns/model:tag")
    download.progress(0, 1000, now=0.0)
    download.progress(500, 1000, now=1.0)
    row = download.row()
    assert (
        row["percent_text"] == "50%" and "500 B/s" in str(row["detail"]) and "1s left" in str(row["detail"])
    )
    download.state = "done"
    assert download.row()["percent"] == 100.0


def setting(key: str, kind: SettingKind, **fields: Any) -> SettingField:
    return SettingField(key=key, label=key, description="", kind=kind, **fields)


def test_the_form_has_a_section_per_group_and_leaves_out_the_plugin_switches() -> None:
    schema = SettingsSchema(
        groups=[
            SettingsGroup(
                id="general",
                title="General",
                fields=[setting("theme", SettingKind.CHOICE), setting("disabled_plugins", SettingKind.LIST)],
            ),
            SettingsGroup(
                id="empty", title="Nothing", fields=[setting("disabled_plugins", SettingKind.LIST)]
            ),
            SettingsGroup(
                id="hello",
                title="Hello",
                description="The greeting.",
                plugin="llamadesk_hello",
                fields=[setting("hello.greeting", SettingKind.TEXT)],
            ),
        ]
    )
    groups = form_groups(schema)
    assert [(g.id, [f.key for f in g.fields]) for g in groups] == [
        ("general", ["theme"]),
        ("hello", ["hello.greeting"]),
    ]
    assert group_description(groups[0]) == ""
    assert group_description(groups[1]) == "The greeting. From the plugin llamadesk_hello."


def test_setting_values_are_read_by_dotted_key_and_typed_back() -> None:
    config = {"theme": "dark", "server": {"port": 8765}, "remote": {"llama_server": {"binary": None}}}
    assert value_at(config, "server.port") == 8765
    assert value_at(config, "remote.llama_server.binary") is None
    assert value_at(config, "nothing.here") is None
    threads = setting("load.threads", SettingKind.INT, optional=True)
    assert parse_text(threads, "") is None and parse_text(threads, " 4 ") == 4
    assert parse_text(threads, "four") == "four"  # config.set says what is wrong with it
    stop = setting("sampling.stop", SettingKind.LIST)
    assert parse_text(stop, "a, b,") == ["a", "b"] and to_text(stop, ["a", "b"]) == "a, b"
    servers = setting("remote.servers", SettingKind.JSON)
    assert parse_text(servers, '[{"name": "box"}]') == [{"name": "box"}]
    assert to_text(servers, [{"name": "box"}]) == '[{"name": "box"}]'


def test_a_validation_error_is_found_for_its_field() -> None:
    assert field_error({"fields": {"hello.greeting": "too short"}}, "hello.greeting") == "too short"
    details = {"errors": [{"loc": ["sampling", "temperature"], "msg": "too big"}]}
    assert field_error(details, "sampling.temperature") == "too big"
    assert field_error(details, "sampling.top_p") == ""


def test_every_setting_of_the_real_schema_has_a_row(app: App) -> None:
    schema = app.commands.invoke("config.schema", Empty())
    assert isinstance(schema, SettingsSchema)
    shown = {f.key: f for g in form_groups(schema) for f in g.fields}
    every = {f.key for g in schema.groups for f in g.fields}
    assert set(shown) == every - {"disabled_plugins"}
    assert shown["theme"].kind is SettingKind.CHOICE and shown["theme"].choices == ["dark", "light"]
    assert shown["server.api_key"].secret
    plugin_groups = {g.id: g.plugin for g in form_groups(schema) if g.plugin}
    assert {"server", "huggingface", "remote"} <= set(plugin_groups)


def test_a_remote_model_is_a_row_that_cannot_be_deleted() -> None:
    served = RemoteModelInfo(id="@box/qwen", backend="openai_remote", where="http://gpubox:8080/v1")
    row = remote_row(served, loaded={"@box/qwen": "ready"})
    assert row["name"] == "@box/qwen" and row["state"] == "ready"
    assert row["where"] == "runs at http://gpubox:8080/v1" and row["fit"] == "remote"
    assert row["remote"] is True
    summary = ModelSummary(
        reference="smollm2:135m-q4_1",
        full_reference="registry.ollama.ai/library/smollm2:135m-q4_1",
        size=1_000,
        modified=0,
        digest="sha256:x",
        format="ollama",
    )
    local = model_row(summary, available_memory=8e9, loaded={})
    assert local["remote"] is False and local["quant"] == "Q4_1" and local["fit"] == "fits"
    assert local["where"] == "registry.ollama.ai/library/smollm2:135m-q4_1"


def test_highlighted_code_keeps_every_line_self_contained() -> None:
    from llamadesk.ui.viewmodels.code_highlight import highlight

    code = 'doc = """first\nsecond [x]\n"""\n\nprint(doc)'
    markup = highlight(code, "python", "monokai")
    lines = markup.split("\n")
    assert len(lines) == len(code.split("\n"))
    for line in lines:  # a string spanning lines is closed and reopened on each
        assert line.count("[color=") == line.count("[/color]")
    assert "second &bl;x&br;" in lines[1]
    assert lines[3] == ""


def test_markup_cut_at_a_shown_character_reopens_the_tags_in_force() -> None:
    from llamadesk.ui.viewmodels.markup import split_visible, unmarked

    markup = "ab [b]cd &amp; [i]ef[/i] gh[/b] ij"
    assert unmarked(markup) == "ab cd & ef gh ij"
    for shown in range(len(unmarked(markup)) + 1):
        offset, tags = split_visible(markup, shown)
        assert unmarked(tags + markup[offset:]) == unmarked(markup)[shown:]
    assert split_visible(markup, 9) == (markup.index("f[/i]"), "[b][i]")
    assert split_visible(markup, 13) == (markup.index(" ij"), "")


def test_the_chat_list_shows_only_the_answer_to_the_latest_request() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from llamadesk.core.models.chat import Role
    from llamadesk.core.models.chat_history import ChatSession, SearchHit, SearchPage, SessionPage
    from llamadesk.ui.screens.chat_sessions import ChatSessions

    pending: list = []
    bridge = SimpleNamespace(
        has=lambda _command: True,
        call=lambda _command, _params, _result, done, _error: pending.append(done),
    )
    sidebar = SimpleNamespace(sessions=[])
    app = SimpleNamespace(bridge=bridge, shell=SimpleNamespace(ids=SimpleNamespace(sidebar=sidebar)))
    chats = ChatSessions(SimpleNamespace(app=app, session_id="", error=print))
    chats.refresh()  # chat.list asked, still running
    chats.search("lighthous")  # then the user types
    listed, searched = pending
    when = datetime(2026, 1, 1, tzinfo=UTC)
    hit = SearchHit(
        message_id="m1",
        session_id="s1",
        session_title="Lighthouses",
        role=Role.USER,
        snippet="<mark>lighthous</mark>es",
        created_at=when,
        score=1.0,
    )
    searched(SearchPage(query="lighthous", hits=[hit], offset=0, limit=50, has_more=False))
    sessions = [ChatSession(id=sid, created_at=when, updated_at=when) for sid in ("s1", "s2")]
    listed(SessionPage(sessions=sessions, total=2, offset=0, limit=200))  # the older request answers last
    assert [s["session_id"] for s in sidebar.sessions] == ["s1"]


def test_status_bar_says_where_each_model_runs() -> None:
    from llamadesk.ui.viewmodels.status import short_model_name, status_texts

    status = RuntimeStatus(
        models=[
            ModelStatus(id="/m/SmolLM2.gguf", state=ModelState.READY, processor="CPU", memory_bytes=2**27),
            ModelStatus(id="@box/qwen", state=ModelState.READY),  # a remote server cannot tell
        ]
    )
    assert status_texts(status) == ("SmolLM2 (ready, CPU)  ·  @box/qwen (ready)", "Models use 134.2 MB")
    assert status_texts(RuntimeStatus(models=[])) == ("No model loaded", "")
    busy = ModelActivity(
        slots=4, busy_slots=2, prompt_tokens=1000, cached_tokens=250, drafted_tokens=10, accepted_tokens=7
    )
    serving = ModelStatus(id="/m/SmolLM2.gguf", state=ModelState.GENERATING, processor="CPU", activity=busy)
    assert status_texts(RuntimeStatus(models=[serving])) == (
        "SmolLM2 (generating, CPU, 2/4 slots)",
        "prompt reused 25%, drafts accepted 70%",
    )
    # Only a file's path is shortened: a reference or a served model keeps its prefix.
    assert short_model_name("C:\\models\\Qwen.Q4_K_M.gguf") == "Qwen.Q4_K_M"
    assert short_model_name("scripted/echo") == "scripted/echo"
    assert short_model_name("hf.co/user/repo:Q4_K_M") == "hf.co/user/repo:Q4_K_M"


def test_cjk_runs_in_prose_are_drawn_in_the_script_font() -> None:
    from llamadesk.ui.viewmodels.markdown_blocks import MarkupStyle

    style = MarkupStyle(script_font="/fonts/cjk.ttc")
    text = markdown_to_blocks("Say 你好 to **世界**, or `代码`.", style)[0]
    assert "Say [font=/fonts/cjk.ttc]你好[/font] to [b][font=/fonts/cjk.ttc]世界[/font][/b]" in text.markup
    assert "`代码`" not in text.markup and "代码" in text.markup  # code keeps its monospace font
    inline = markdown_to_blocks("面积 $x^2$ 平方", style)[0]  # a paragraph with math: words
    words = [s.text for s in inline.segments if s.kind == "word"]
    assert words[0] == "[font=/fonts/cjk.ttc]面积[/font] "
    assert markdown_to_blocks("你好", MarkupStyle())[0].markup == "你好"  # no such font installed


def test_a_streamed_answer_gives_one_frozen_chunk_its_row_a_frame() -> None:
    """A frame that closes a table, a formula and a code block at once builds one of them;
    the others lead the tail until their frame, so the text stays whole and in order."""
    from llamadesk.core.models.commands import TokenEvent
    from llamadesk.ui.screens.chat_stream import LiveAnswer
    from llamadesk.ui.viewmodels.chat_rows import RowMetrics

    rows: list[dict[str, object]] = []
    live = LiveAnswer(rows, RowMetrics(), "test")
    text = "| a | b |\n|---|---|\n| 1 | 2 |\n\n$$\nx^2\n$$\n\n```python\nx = 1\n```\n\nAnd then"
    live.feed([TokenEvent(text=text)])

    def bodies() -> list[str]:
        return [str(row["source"]) for row in rows if row["viewclass"] == "MessageBody"]

    def shown() -> str:  # the text in order (blank lines between chunks are not kept)
        return "".join(bodies()).replace("\n", "")

    assert len(bodies()) == 2  # the table, then the tail holding the rest
    assert bodies()[0].startswith("| a | b |") and shown() == text.replace("\n", "")
    live.feed([TokenEvent(text=" more")])
    live.feed([])  # a frame with no new tokens still gives the next chunk its row
    assert len(bodies()) == 4 and shown() == (text + " more").replace("\n", "")
    live.finish()
    assert shown() == (text + " more").replace("\n", "")
    assert bodies()[-1].strip() == "And then more"
