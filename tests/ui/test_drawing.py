"""What the message list draws for a frame: text spans, opaque fills, the window clear.

The cost figures behind these are in the modules' docstrings (ui/widgets/trimmed_label.py,
ui/widgets/opaque_fill.py, ui/window_clear.py) and benchmarks/README.md.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from .conftest import pump
from .messages import message

QUESTION = "Short question?"
TRANSCRIPT = [
    message("u1", "user", QUESTION),
    message(
        "a1",
        "assistant",
        "A long paragraph that wraps over the whole width of the message list. " * 6
        + "\n\n```python\nprint('hi')\n```",
    ),
]


def test_text_span_covers_every_line_within_the_texture() -> None:
    from llamadesk.ui.widgets.trimmed_label import MARGIN, text_span

    lines = [SimpleNamespace(x=16, w=100), SimpleNamespace(x=16, w=240), SimpleNamespace(x=0, w=0)]
    assert text_span(lines, 800) == (16 - MARGIN, 16 + 240 + 1 + MARGIN)
    assert text_span([SimpleNamespace(x=0, w=900)], 800) == (0, 800)
    assert text_span([], 800) == (0, 800)  # nothing laid out: the whole texture, as Label draws


def shown(chat: Any, kind: str) -> list[Any]:
    return [w for w in chat.ids.messages_layout.walk(restrict=True) if type(w).__name__ == kind]


def test_rows_draw_only_their_text_and_fill_opaque(ui_app: Any) -> None:
    ui_app.show_screen("chat")
    chat = ui_app.screens["chat"]
    chat.show_messages(TRANSCRIPT)
    pump(lambda: shown(chat, "CodeBlock") and shown(chat, "TextBlock"))
    pump(frames=3)

    texts = {w.text: w for w in shown(chat, "TextBlock")}
    short = texts[QUESTION]
    left, right = short.drawn_span
    assert right - left < short.texture.width / 2  # a short line in a full-width texture
    rect = short._rect
    assert rect.size == (right - left, short.texture.height)
    assert abs(rect.pos[0] - (short.x + left)) <= 1  # the text stays where Label drew it
    wrapped = next(w for w in texts.values() if w.text.startswith("A long paragraph"))
    assert wrapped.drawn_span[1] - wrapped.drawn_span[0] > wrapped.texture.width * 0.8

    bodies = {view.role: view for view in shown(chat, "MessageBody")}
    assert bodies["user"].filled_area > 0  # the bubble
    assert bodies["assistant"].filled_area == 0  # no bubble: nothing drawn at all
    code = shown(chat, "CodeBlock")[0]
    # The body leaves out four r x r corner squares, drawn blended as quarter circles.
    assert abs(code.filled_area + 4 * code.fill_radius**2 - code.width * code.height) < 1


def test_software_gl_clears_only_the_colour_buffer(ui_app: Any) -> None:
    from kivy.core.window import Window

    from llamadesk.ui.window_clear import is_software_gl

    replaced = "clear" in vars(Window)  # an instance attribute shadows WindowBase.clear
    assert replaced == is_software_gl()


def test_code_is_drawn_line_by_line_and_each_line_rendered_once(ui_app: Any) -> None:
    from llamadesk.ui.widgets.code_lines import CodeLines

    long_line = "result = " + " + ".join(f"value_{i}" for i in range(40))
    code = f"x = 1\n\n{long_line}"
    ui_app.show_screen("chat")
    chat = ui_app.screens["chat"]
    chat.show_messages([message("a1", "assistant", f"```python\n{code}\n```")])
    pump(lambda: shown(chat, "CodeLines"))
    lines = shown(chat, "CodeLines")[0]
    textures = lines.textures
    assert len(textures) == 3
    assert textures[1].height == textures[0].height  # a blank line keeps its height
    wrap = lines.parent.width - lines.parent.padding[0] - lines.parent.padding[2]
    assert textures[2].width <= wrap + 1 and textures[2].height > 2 * textures[0].height  # wrapped
    assert lines.height == sum(t.height for t in textures)
    tops = [rect.pos[1] + rect.size[1] for rect in lines._rects]
    assert tops[0] == int(lines.top) and tops[1] == tops[0] - textures[0].height  # stacked

    # The same lines in another block (a frozen chunk, a grown tail) are not rendered again.
    again = CodeLines(font_name=lines.font_name, font_size=lines.font_size, color=lines.color)
    again.show(lines.parent.markup + "\nprint(x)", lines.wrap)
    assert again.textures[:3] == textures and len(again.textures) == 4


def drawn_pixels(pieces: list[tuple[Any, int]], size: tuple[int, int]) -> bytes:
    """The pixels of textures stacked from the top of an Fbo, as TextureStack places them."""
    from kivy.graphics import ClearBuffers, ClearColor, Color, Fbo, Rectangle

    fbo = Fbo(size=size)
    with fbo:
        ClearColor(0, 0, 0, 1)
        ClearBuffers()
        Color(1, 1, 1, 1)
        top = size[1]
        for texture, left in pieces:
            top -= texture.height
            Rectangle(texture=texture, pos=(left, top), size=texture.size)
    fbo.draw()
    return bytes(fbo.pixels)


def test_a_streamed_paragraph_looks_as_one_label_while_rendering_only_its_end(ui_app: Any) -> None:
    from kivy.core.text.markup import MarkupLabel

    from llamadesk.ui.widgets.live_text import LiveText

    sentence = (
        "streamed [b]bold words run across the line break[/b] &amp; [i]italics[/i] "
        "[font=RobotoMono-Regular]code()[/font] and plain words that keep the paragraph going "
    )
    words = sentence.split() * 3
    width = 420
    live = LiveText(font_size=15, line_height=1.15)
    rendered: list[int] = []
    for count in range(1, len(words) + 1):
        markup = " ".join(words[:count])
        live.show(markup, width)
        rendered.append(len(live.markup) - len(live._settled_markup))
    whole = MarkupLabel(
        text=markup, font_size=15, line_height=1.15, halign="left", valign="top", text_size=(width, None)
    )
    whole.refresh()
    assert len(whole._cached_lines) >= 6
    assert live.height == whole.texture.height
    size = (width, int(whole.texture.height) + 10)
    assert drawn_pixels(live._pieces, size) == drawn_pixels([(whole.texture, 0)], size)
    # Each show laid out its last few lines (SETTLE_AFTER_LINES), not the paragraph so far.
    assert max(rendered[len(rendered) // 2 :]) < len(markup) / 2


def test_every_streamed_line_sits_where_one_label_draws_it(ui_app: Any) -> None:
    """Kivy draws a texture's first line a pixel lower than the lines below it; a render that
    goes on from settled lines must not show its first line that way (a list jumped by 1 px)."""
    from kivy.core.text.markup import MarkupLabel

    from llamadesk.ui.widgets.live_text import LiveText

    for text in ("• one item\n• two items\n• three items", "plain words that wrap over the line " * 6):
        words, width = text.split(" "), 300
        live = LiveText(font_size=15, line_height=1.15)
        for count in range(1, len(words) + 1):
            live.show(" ".join(words[:count]), width)
        whole = MarkupLabel(
            text=text, font_size=15, line_height=1.15, halign="left", valign="top", text_size=(width, None)
        )
        whole.refresh()
        assert len(live._pieces) >= 3 and live.height == whole.texture.height
        size = (width, int(whole.texture.height) + 4)
        assert drawn_pixels(live._pieces, size) == drawn_pixels([(whole.texture, 0)], size)


def test_a_frozen_paragraph_keeps_the_widgets_it_streamed_in(ui_app: Any) -> None:
    from llamadesk.core.models.commands import TokenEvent
    from llamadesk.ui.screens.chat_stream import LiveAnswer, StampedRows

    ui_app.show_screen("chat")
    chat = ui_app.screens["chat"]
    chat.show_messages([])
    rv = chat.ids.messages

    def block_of_row(index: int) -> Any:
        view = next(v for v, i in rv.layout_manager.view_indices.items() if i == index % len(rv.data))
        return view.children[0]

    chat.live = live = LiveAnswer(StampedRows(rv.data, chat), chat.metrics(), "test")
    try:
        for word in ("A paragraph long enough to wrap over more than one line of the list. " * 4).split(" "):
            chat._on_events([TokenEvent(text=word + " ")], [live])
            # Drawn as the tokens arrive, so the list is laid out once, with the real height.
            row = rv.data[-2]  # the tail, above the answer's action bar
            assert row["height"] == chat.body_renders.get(row["cache_key"]).height
            pump(frames=1)
        tail = block_of_row(-2)
        assert type(tail).__name__ == "LiveTextBlock"
        assert len(tail.textures) >= 2  # settled lines and the live end
        chat._on_events([TokenEvent(text="\n\nNext")], [live])
        pump(frames=2)
        assert block_of_row(-3) is tail and tail.markup.endswith("list.")
        assert block_of_row(-2).markup == "Next"
    finally:
        chat.live = None
        live.finish()


def test_a_streamed_answer_does_not_move_when_it_is_stored(ui_app: Any) -> None:
    """Streamed, the answer is a row per frozen chunk; stored, one row: the blocks stay put."""
    from llamadesk.core.models.commands import TokenEvent
    from llamadesk.ui.screens.chat_stream import LiveAnswer, StampedRows

    answer = "One short paragraph.\n\nAnother one.\n\n```python\nx = 1\n```\n\n- a list item\n\nThe end."
    question = message("u1", "user", QUESTION)
    ui_app.show_screen("chat")
    chat = ui_app.screens["chat"]
    rv = chat.ids.messages

    def block_tops() -> list[float]:
        """Each block's top, measured down from the top of the answer's header row."""
        views = {i: v for v, i in rv.layout_manager.view_indices.items()}
        header = max(i for i, row in enumerate(rv.data) if row["viewclass"] == "MessageHeader")
        top = views[header].top
        bodies = [
            views[i] for i in range(header + 1, len(rv.data)) if rv.data[i]["viewclass"] == "MessageBody"
        ]
        return [round(top - block.top, 1) for body in bodies for block in reversed(body.children)]

    chat.show_messages([question])
    pump(frames=2)
    chat.live = live = LiveAnswer(StampedRows(rv.data, chat), chat.metrics(), "test")
    try:
        for word in answer.split(" "):
            chat._on_events([TokenEvent(text=word + " ")], [live])
            pump(frames=1)
        live.finish()
        pump(frames=3)
        assert sum(row["viewclass"] == "MessageBody" for row in rv.data) > 3  # several chunks
        streamed = block_tops()
    finally:
        chat.live = None
    chat.show_messages([question, message("a1", "assistant", answer + " ")])
    pump(frames=3)
    assert len(streamed) == 5 and block_tops() == streamed


def test_widgets_made_ahead_of_need_are_made_a_few_each_frame(ui_app: Any) -> None:
    import time

    from kivy.uix.widget import Widget

    from llamadesk.ui.widgets.body_renders import BodyRenders

    def slow_widget() -> Widget:
        time.sleep(0.002)  # applying a block's kv rules costs about this
        return Widget()

    renders = BodyRenders({"text": slow_widget, "code": slow_widget})
    renders.prefill({"text": 10, "code": 10})
    first_frame = len(renders._pools["text"]) + len(renders._pools["code"])
    assert 1 <= first_frame < 10
    pump(lambda: len(renders._pools["text"]) + len(renders._pools["code"]) == 20)


def test_links_in_a_streamed_paragraph_can_be_clicked(ui_app: Any) -> None:
    from kivy.core.text.markup import MarkupLabel

    from llamadesk.ui.widgets.live_text import LiveText

    def touch(x: float, y: float) -> Any:
        return SimpleNamespace(x=x, y=y, pos=(x, y))

    def link(address: str, text: str) -> str:
        return f"[ref={address}][u]{text}[/u][/ref]"

    words = (
        f"See {link('https://a.example', 'the first page')} before the rest, which runs on "
        + "and on with plain words that keep the paragraph going " * 4
        + f"until {link('https://b.example', 'the last one')} ends it."
    ).split(" ")
    width = 420
    live = LiveText(font_size=15, line_height=1.15, pos=(10, 20))
    for count in range(1, len(words) + 1):
        live.show(" ".join(words[:count]), width)
    assert len(live._pieces) > 2  # the first link's line settled long ago
    pressed: list[str] = []
    live.bind(on_ref_press=lambda _widget, ref: pressed.append(ref))
    whole = MarkupLabel(
        text=" ".join(words),
        font_size=15,
        line_height=1.15,
        halign="left",
        valign="top",
        text_size=(width, None),
    )
    whole.refresh()
    whole.texture.bind()  # renders it, which records where its links are
    assert len(whole.refs) == 2
    for address, zones in whole.refs.items():  # where one label would have the links
        x1, y1, x2, y2 = zones[0]
        live.on_touch_down(touch(live.x + (x1 + x2) / 2, live.top - (y1 + y2) / 2))
        assert pressed[-1] == address
    live.on_touch_down(touch(live.x + width - 2, live.y + 2))  # beside the text
    assert pressed == ["https://a.example", "https://b.example"]
