"""View models without a window: Markdown blocks, streaming chunks, branches, formatting, settings."""

from __future__ import annotations

from llamadesk.core.models.app_config import AppConfig
from llamadesk.ui.viewmodels.chat_rows import (
    RowMetrics,
    branch_position,
    conversation_rows,
    meta_row,
    sibling_at,
)
from llamadesk.ui.viewmodels.downloads import Download
from llamadesk.ui.viewmodels.formatting import fit_badge, human_bytes, human_eta
from llamadesk.ui.viewmodels.library import file_rows, model_row, quant_of, remote_entry
from llamadesk.ui.viewmodels.markdown_blocks import markdown_to_blocks
from llamadesk.ui.viewmodels.settings_form import field_errors, parse_text, setting_fields
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


def test_branch_arrows_from_siblings() -> None:
    # chat.get lists, for each shown message with siblings, all of them (itself included).
    siblings = {"a2": ["a1", "a2", "a3"]}
    assert branch_position("a2", siblings) == (2, 3)
    assert branch_position("u1", siblings) == (1, 1)
    assert sibling_at("a2", siblings, -1) == "a1"
    assert sibling_at("a2", siblings, 2) is None
    m = RowMetrics()
    meta = meta_row({"id": "a2", "role": "assistant", "model": "/m/SmolLM2.Q4_1.gguf"}, siblings, m)
    assert (meta["branch_text"], meta["can_prev"], meta["can_next"]) == ("2/3", True, True)
    assert meta["model_name"] == "SmolLM2.Q4_1"
    rows = conversation_rows(
        [
            {"id": "u1", "role": "user", "content": "hi"},
            {
                "id": "a2",
                "role": "assistant",
                "content": "",
                "reasoning": "hmm",
                "state": "error",
                "error": "boom",
            },
        ],
        siblings,
        m,
    )
    assert [r["viewclass"] for r in rows] == [
        "MessageMeta",
        "MessageBody",
        "MessageMeta",
        "ThinkingRow",
        "ErrorRow",
    ]
    assert rows[-1]["text"] == "boom"


def test_formatting_and_fit() -> None:
    assert human_bytes(98_000_000) == "98.0 MB"
    assert human_eta(10_000_000, 1_000_000) == "10s left"
    assert fit_badge(1e9, 16e9) == "fits"
    assert fit_badge(10e9, 13e9) == "tight"
    assert fit_badge(20e9, 16e9) == "too big"
    assert quant_of("SmolLM2-135M-Instruct.Q4_1.gguf") == "Q4_1"
    assert quant_of("model-q4_k_m.gguf") == "Q4_K_M"


def test_recommended_file_is_the_largest_that_fits() -> None:
    files = [
        {"filename": "m.Q2_K.gguf", "size": 1e9},
        {"filename": "m.Q4_K_M.gguf", "size": 2e9},
        {"filename": "m.F16.gguf", "size": 14e9},
        {"filename": "README.md", "size": 10},
    ]
    rows = file_rows(files, available_memory=8e9)
    assert [r["filename"] for r in rows if r["recommended"]] == ["m.Q4_K_M.gguf"]
    assert len(rows) == 3


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


def test_settings_form_covers_every_config_field() -> None:
    fields = {f.key: f for f in setting_fields()}
    assert fields["theme"].kind == "choice" and fields["theme"].choices == ("dark", "light")
    assert fields["sampling.temperature"].kind == "float"
    assert fields["load.threads"].optional
    for name in AppConfig.model_fields:
        assert name in fields
    assert parse_text(fields["load.threads"], "") is None
    assert parse_text(fields["sampling.stop"], "a, b") == ["a", "b"]
    details = {"errors": [{"loc": ["sampling", "temperature"], "msg": "too big"}]}
    assert field_errors(details, "sampling.temperature") == "too big"


def test_a_remote_model_is_a_row_that_cannot_be_deleted() -> None:
    served = {"id": "@box/qwen", "backend": "openai_remote", "where": "http://gpubox:8080/v1"}
    row = model_row(remote_entry(served), available_memory=8e9, loaded={"@box/qwen": "ready"})
    assert row["name"] == "@box/qwen" and row["state"] == "ready"
    assert row["where"] == "runs at http://gpubox:8080/v1" and row["fit"] == "remote"
    assert row["remote"] is True
    local = model_row({"reference": "smollm2:latest", "size": 1_000}, available_memory=8e9, loaded={})
    assert local["remote"] is False


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
    from types import SimpleNamespace

    from pydantic import BaseModel

    from llamadesk.ui.screens.chat_sessions import ChatSessions

    class Answer(BaseModel):
        sessions: list[dict] = []
        hits: list[dict] = []

    pending: list = []
    bridge = SimpleNamespace(
        has=lambda _command: True, call=lambda _command, _params, done, _error: pending.append(done)
    )
    sidebar = SimpleNamespace(sessions=[])
    app = SimpleNamespace(bridge=bridge, shell=SimpleNamespace(ids=SimpleNamespace(sidebar=sidebar)))
    chats = ChatSessions(SimpleNamespace(app=app, session_id="", error=print))
    chats.refresh()  # chat.list asked, still running
    chats.search("lighthous")  # then the user types
    listed, searched = pending
    searched(Answer(hits=[{"session_id": "s1", "session_title": "Lighthouses"}]))
    listed(Answer(sessions=[{"id": "s1"}, {"id": "s2"}]))  # the older request answers last
    assert [s["session_id"] for s in sidebar.sessions] == ["s1"]


def test_status_bar_says_where_each_model_runs() -> None:
    from llamadesk.ui.viewmodels.status import status_texts

    status = {
        "models": [
            {"id": "/m/SmolLM2.gguf", "state": "ready", "processor": "CPU", "memory_bytes": 2**27},
            {"id": "@box/qwen", "state": "ready", "processor": ""},  # a remote server cannot tell
        ]
    }
    assert status_texts(status) == ("SmolLM2 (ready, CPU)  ·  qwen (ready)", "Models use 134.2 MB")
