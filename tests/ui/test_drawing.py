"""What the message list draws for a frame: text spans, opaque fills, the window clear.

The cost figures behind these are in the modules' docstrings (ui/widgets/trimmed_label.py,
ui/widgets/opaque_fill.py, ui/window_clear.py) and benchmarks/README.md.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from .conftest import pump

QUESTION = "Short question?"
TRANSCRIPT = [
    {"id": "u1", "role": "user", "content": QUESTION},
    {
        "id": "a1",
        "role": "assistant",
        "content": "A long paragraph that wraps over the whole width of the message list. " * 6
        + "\n\n```python\nprint('hi')\n```",
    },
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
    chat.show_messages([{"id": "a1", "role": "assistant", "content": f"```python\n{code}\n```"}])
    pump(lambda: shown(chat, "CodeLines"))
    lines = shown(chat, "CodeLines")[0]
    textures = lines.line_textures
    assert len(textures) == 3
    assert textures[1].height == textures[0].height  # a blank line keeps its height
    wrap = lines.parent.width - lines.parent.padding[0] - lines.parent.padding[2]
    assert textures[2].width <= wrap + 1 and textures[2].height > 2 * textures[0].height  # wrapped
    assert lines.height == sum(t.height for t in textures)
    tops = [rect.pos[1] + rect.size[1] for rect in lines._rects]
    assert tops[0] == int(lines.top) and tops[1] == tops[0] - textures[0].height  # stacked

    # The same lines in another block (a frozen chunk, a grown tail) are not rendered again.
    again = CodeLines(font_name=lines.font_name, font_size=lines.font_size, color=lines.color)
    again.show(lines.parent.markup + "\nprint(x)", lines._wrap)
    assert again.line_textures[:3] == textures and len(again.line_textures) == 4
