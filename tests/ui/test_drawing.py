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
