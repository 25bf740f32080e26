"""Markdown as people expect it: GFM tables, math (rendered off the Kivy thread, cached,
a formula that does not parse shown as its source), task lists; and a table or formula
still being streamed shows as text until its chunk is complete."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from llamadesk.core.commands import CommandSpec
from llamadesk.core.models.base import CommandParams
from llamadesk.core.models.commands import TokenEvent
from llamadesk.ui.viewmodels.markdown_blocks import markdown_to_blocks
from llamadesk.ui.viewmodels.math_images import MathFailure, MathImage, MathImages, render

from .conftest import pump
from .messages import message

TABLE = (
    "| Model | Size | Speed | Notes |\n"
    "|:------|-----:|:-----:|-------|\n"
    "| SmolLM2 | 98 MB | 180 | tiny |\n"
    "| Qwen2.5-7B | 4.7 GB | 12 | a longer note that wraps inside its column because it goes on and on and on |\n"
)
ANSWER = (
    "Compare:\n\n" + TABLE + "\nEnergy is $E = mc^2$, and $\\frac{a}{b$ is broken.\n\n"
    "$$\n\\int_0^1 x\\,dx = \\frac{1}{2}\n$$\n\n- [x] tables\n- [ ] more\n"
)


# ---- without a window -----------------------------------------------------------------


def test_tables_math_and_task_lists_parse() -> None:
    blocks = markdown_to_blocks(ANSWER)
    assert [b.kind for b in blocks] == ["text", "table", "rich", "math", "text"]
    table = blocks[1].table
    assert table is not None and table.aligns == ("left", "right", "center", "left")
    assert table.header[0] == "[b]Model[/b]" and table.rows[1][1] == "4.7 GB" and len(table.rows) == 2
    assert blocks[1].markup.startswith("| Model |")  # its source, shown while it streams
    words = [s for s in blocks[2].segments if s.kind == "math"]
    assert [s.text for s in words] == ["E = mc^2", "\\frac{a}{b"]
    assert blocks[3].source == "\\int_0^1 x\\,dx = \\frac{1}{2}"
    assert "☑" in blocks[4].markup and "☐" in blocks[4].markup and "[font=" in blocks[4].markup
    assert markdown_to_blocks("It costs $5 and $10.")[0].kind == "text"  # prices are not math


def test_formulas_render_to_pixels_or_fail_in_words() -> None:
    image = render("\\frac{1}{2}", 20, (255, 0, 0))
    assert isinstance(image, MathImage) and image.width > 5 and image.height > 15
    assert len(image.rgba) == image.width * image.height * 4 and image.rgba[0:3] == b"\xff\x00\x00"
    failed = render("\\frac{a}{b", 20, (255, 255, 255))
    assert isinstance(failed, MathFailure) and failed.message


def test_formulas_render_once_off_the_caller_s_thread() -> None:
    calls: list[str] = []
    done: list[object] = []

    def slow(tex: str, size: int, color: tuple[int, int, int]) -> MathImage:
        calls.append(tex)
        time.sleep(0.05)
        return MathImage(1, 1, 0.0, b"\x00" * 4)

    images = MathImages(slow, in_process=True)
    key = ("x", 20, (0, 0, 0))
    images.request(key, done.append)
    images.request(key, done.append)  # asked again while it renders: rendered once
    assert images.get(key) is None
    deadline = time.monotonic() + 5
    while not done and time.monotonic() < deadline:
        time.sleep(0.01)
    assert done == [key] and calls == ["x"] and isinstance(images.get(key), MathImage)
    images.close()


# ---- in the window --------------------------------------------------------------------


def views(chat: Any, kind: str) -> list[Any]:
    """Block widgets of a kind that the message list shows now."""
    found = []
    for view in chat.ids.messages.layout_manager.view_indices:
        found += [w for w in view.children if getattr(w, "block_kind", "") == kind]
    return found


def test_a_stored_answer_shows_its_table_math_and_tasks(ui_app: Any) -> None:
    chat = ui_app.screens["chat"]
    ui_app.show_screen("chat")
    chat.show_messages([message("u1", "user", "Compare"), message("a1", "assistant", ANSWER)])
    pump(lambda: views(chat, "table") and views(chat, "math"))
    (table,) = views(chat, "table")
    cells = table.ids.grid.cells
    assert len(cells) == 12 and len({c.x for c in cells}) == 4
    by_text = {c.text: c for c in cells}
    assert by_text["98 MB"].align == "right" and by_text["180"].align == "center"
    assert by_text["[b]Model[/b]"].header and not by_text["tiny"].header
    long_note = next(c for c in cells if c.text.startswith("a longer note"))
    assert long_note.texture.height > by_text["tiny"].texture.height  # wraps in its column
    assert long_note.width <= 330 * ui_app.theme.dp(1)
    # The formulas render on the worker; then the rows are drawn again with them.
    pump(lambda: views(chat, "math")[0].texture is not None, timeout=30)
    pump(lambda: views(chat, "rich")[0].formulas_drawn == 1, timeout=30)
    # One that parses is an image; one that does not keeps showing its source.
    assert views(chat, "rich")[0].sources_shown == ["\\frac{a}{b"]


def test_a_wide_table_scrolls_sideways(ui_app: Any) -> None:
    chat = ui_app.screens["chat"]
    wide = (
        "| "
        + " | ".join(f"column number {i}" for i in range(12))
        + " |\n|"
        + "---|" * 12
        + "\n|"
        + " x |" * 12
        + "\n"
    )
    chat.show_messages([message("a2", "assistant", wide)])
    pump(lambda: views(chat, "table"))
    (table,) = views(chat, "table")
    assert table.ids.grid.width > table.width and table.bar_width > 0


class TokenParams(CommandParams):
    pass


class Done(BaseModel):
    tokens: int = 0


@pytest.fixture
def token_command(ui_app: Any) -> Iterator[list[str]]:
    """`test.tokens`: streams the tokens the test puts in the list, one every 20 ms."""
    tokens: list[str] = []

    def stream(_params: TokenParams, ctx: Any) -> Done:
        for text in tokens:
            ctx.emit(TokenEvent(text=text))
            time.sleep(0.02)
        return Done(tokens=len(tokens))

    dispose = ui_app.commands.register(
        CommandSpec(
            id="test.tokens", title="Tokens", params=TokenParams, result=Done, handler=stream, streaming=True
        )
    )
    yield tokens
    dispose()


def test_a_streamed_table_renders_when_its_chunk_is_complete(ui_app: Any, token_command: list[str]) -> None:
    chat = ui_app.screens["chat"]
    chat.new_chat()  # no stored chat to reload over the streamed rows when it ends
    lines = TABLE.splitlines(keepends=True)
    token_command.extend(["Here:\n\n", *lines, "\n", "$$x^2$$", " more", "\n\n", "After."])
    chat.model_state = "ready"
    chat._stream("test.tokens", TokenParams())
    seen_table_in_tail = False
    while chat.streaming:
        pump(frames=1)
        tail = [r for r in chat.ids.messages.data if r.get("tail")]
        if tail and tail[-1]["source"].count("|") > 8:
            # Being written: shown as its text, never as a half table.
            seen_table_in_tail = True
            shown = chat.ids.messages.layout_manager.view_indices
            assert not any(getattr(v, "tail", False) and views_of(v, "table") for v in shown)
    assert seen_table_in_tail
    pump(lambda: views(chat, "table"))  # complete: drawn as a table
    chat.model_state = ""


def views_of(view: Any, kind: str) -> list[Any]:
    return [w for w in view.children if getattr(w, "block_kind", "") == kind]


def test_the_monospace_font_is_registered_by_the_name_markup_uses(ui_app: Any, monkeypatch: Any) -> None:
    """Code and formula sources name the font by its file's stem; registered under that name
    (ui/text_textures.py), a label finds its file without searching the disk again."""
    import kivy.core.text as core_text
    from kivy.core.text import Label as CoreLabel
    from kivy.core.text import LabelBase

    from llamadesk.ui import theme

    assert theme.FONT_MONO in LabelBase._fonts
    file = LabelBase._fonts[theme.FONT_MONO][0]
    assert file.endswith(f"{theme.FONT_MONO}.ttf")

    def no_search(name: str, *_: Any, **__: Any) -> None:
        raise AssertionError(f"searched the disk for {name}")

    monkeypatch.setattr(core_text, "resource_find", no_search)
    label = CoreLabel(text="x = 1", font_name=theme.FONT_MONO)
    label.resolve_font_name()
    assert label.options["font_name_r"] == file


def test_each_block_kind_is_drawn_once_at_start_and_pooled(ui_app: Any) -> None:
    """The chat's first table, formula or code block does not open fonts or lay out a widget
    kind for the first time in the frame that freezes it (body_renders.py warm_up)."""
    from llamadesk.ui.widgets.message_views import body_renders

    pump(lambda: ui_app.screens["chat"].body_renders._warmed, timeout=10)  # its prefill asks for it
    renders = body_renders()
    renders.warm_up()
    for kind in ("table", "math", "rich", "code"):
        assert [w for w in renders._pools[kind] if w.parent is None], kind
    (table,) = renders._pools["table"]
    assert len(table.ids.grid.cells) == 4  # the warm-up's two-by-two table, drawn
    (math,) = renders._pools["math"]
    assert math.fallback == "$$y$$"  # shown as its source: nothing asked of the math worker


def test_the_formula_renderer_starts_with_the_chat_not_with_its_first_formula(ui_app: Any) -> None:
    """Its start (a process, matplotlib's import) competed with the frames of the first answer
    that brought a formula: the chat's warm-up starts it (body_renders.py), and the chat
    counts as ready for an answer (`prefilled`) once it has."""
    from llamadesk.ui.widgets.message_views import body_renders
    from llamadesk.ui.widgets.rich_blocks import MathTextures

    renders = body_renders()
    renders.math = MathTextures(on_ready=lambda: None)
    images = renders.math.images
    try:
        assert not images.started.is_set()
        renders.prefill({"math": 1})
        pump(lambda: renders._warm_up_done, timeout=10)
        assert not renders.prefilled or images.started.is_set()
        pump(lambda: renders.prefilled, timeout=30)
        assert images.started.is_set() and not images._asked  # no formula was asked for
        key = renders.math.key("a^2", display=False)
        done: list[object] = []
        images.request(key, done.append)
        pump(lambda: done, timeout=10)
        assert images.get(key) is not None
    finally:
        images.close()


def test_pools_drained_by_a_stream_refill_once_the_chat_is_idle(ui_app: Any) -> None:
    """While rows are drawn a dry pool gets only SPARE widgets back; once idle, as many as the
    prefill made, so the next answer does not make its widgets in the frames it freezes."""
    from kivy.uix.widget import Widget

    from llamadesk.ui.widgets import body_renders as module

    renders = module.BodyRenders({"text": Widget})
    renders.prefill({"text": 6})
    taken = [renders._take("text") for _ in range(6)]
    assert len(taken) == 6 and not renders._pools["text"]
    renders._drawn_at = time.perf_counter() + 0.6  # a stream draws rows: busy for a while yet
    pump(lambda: len(renders._pools["text"]) == module.SPARE, timeout=10)
    pump(frames=5)
    assert len(renders._pools["text"]) == module.SPARE
    pump(lambda: len(renders._pools["text"]) == 6, timeout=10)  # idle: back to the prefill's count


def test_a_formula_closed_in_the_tail_renders_before_its_paragraph_ends(ui_app: Any) -> None:
    """At a model's pace a formula's closing `$` comes well before its paragraph's end: it is
    rendered meanwhile, and drawn as an image as soon as the paragraph is complete."""
    import threading

    go_on = threading.Event()
    parts = ["Energy is ", "$E = mc^{7}$", " and"]

    def stream(_params: TokenParams, ctx: Any) -> Done:
        for text in parts:
            ctx.emit(TokenEvent(text=text))
        go_on.wait(20)  # the paragraph is still being written
        ctx.emit(TokenEvent(text=" more.\n\n"))
        return Done(tokens=len(parts) + 1)

    dispose = ui_app.commands.register(
        CommandSpec(
            id="test.pause", title="Pause", params=TokenParams, result=Done, handler=stream, streaming=True
        )
    )
    chat = ui_app.screens["chat"]
    chat.new_chat()
    chat.model_state = "ready"
    math = chat.body_renders.math
    key = math.key("E = mc^{7}", display=False)
    try:
        chat._stream("test.pause", TokenParams())
        # Still in the tail (shown as text), yet rendered.
        pump(lambda: math.images.get(key) is not None, timeout=30)
        assert chat.streaming and not views(chat, "rich")
    finally:
        go_on.set()
    pump(lambda: not chat.streaming)
    pump(lambda: views(chat, "rich"))
    (rich,) = views(chat, "rich")
    assert rich.formulas_drawn == 1 and rich.sources_shown == []  # drawn at once, never as source
    chat.model_state = ""
    dispose()
