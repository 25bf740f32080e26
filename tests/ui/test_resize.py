"""The message list follows the window's width when it changes (a tablet turned, a window resized)."""

from __future__ import annotations

from typing import Any

from .conftest import pump
from .messages import message

TRANSCRIPT = [
    message("u1", "user", "How do I reverse a string in Python?"),
    message("a1", "assistant", "Use slicing: `text[::-1]` walks the string backwards. " * 4),
]


def bodies(chat: Any) -> list[Any]:
    layout = chat.ids.messages_layout
    return [view for view in layout.children if type(view).__name__ == "MessageBody"]


def test_rows_take_the_new_width_after_a_resize(ui_app: Any) -> None:
    from kivy.core.window import Window

    ui_app.show_screen("chat")
    chat = ui_app.screens["chat"]
    chat.show_messages(TRANSCRIPT)
    wide = Window.size
    pump(lambda: bodies(chat), frames=0)
    pump(frames=5)
    layout = chat.ids.messages_layout
    try:
        Window.size = (640, 800)
        pump(lambda: ui_app.shell.narrow)
        pump(frames=10)
        narrow_width = layout.width
        assert all(abs(view.width - narrow_width) < 1 for view in bodies(chat))
    finally:
        Window.size = wide
        pump(lambda: not ui_app.shell.narrow)
    pump(frames=10)
    assert layout.width > narrow_width + 100
    assert bodies(chat) and all(abs(view.width - layout.width) < 1 for view in bodies(chat)), (
        layout.width,
        [view.width for view in bodies(chat)],
    )
