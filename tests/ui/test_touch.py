"""Touch alone, in the real (offscreen) window: Kivy MotionEvents (`UnitTestTouch`) go through
the window's input dispatch, as a finger's do. A long press on a message opens its actions
and a tap runs one; the drawer, the screens and the chat's side panel work at tablet sizes,
landscape and portrait."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import pump

# A tablet held both ways, and a small one (a phone-sized width) whose sidebar is a drawer.
TABLET_SIZES = [(1280, 800), (800, 1280), (600, 960)]


def finger(widget: Any) -> Any:
    from kivy.tests.common import UnitTestTouch

    x, y = widget.to_window(widget.center_x, widget.center_y)
    return UnitTestTouch(x, y)


def tap(widget: Any) -> None:
    touch = finger(widget)
    touch.touch_down()
    pump(frames=2)
    touch.touch_up()
    pump(frames=2)


def hold(widget: Any, until: Any, seconds: float = 3.0) -> None:
    """A finger held on `widget` until `until()` (a long press), then lifted."""
    touch = finger(widget)
    touch.touch_down()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        pump(frames=1)
    touch.touch_up()
    pump(frames=2)
    assert until(), "the long press did nothing"


def open_sheets() -> list[Any]:
    from kivy.core.window import Window

    from llamadesk.ui.screens.chat_actions import MessageActions

    return [w for w in Window.children if isinstance(w, MessageActions)]


def shown_view(chat: Any, kind: str, message_id: str) -> Any:
    views = chat.ids.messages.layout_manager.view_indices
    pump(lambda: any(type(v).__name__ == kind and v.message_id == message_id for v in views))
    return next(v for v in views if type(v).__name__ == kind and v.message_id == message_id)


def sheet_button(sheet: Any, label: str) -> Any:
    return next(b for b in sheet.ids.actions.children if b.text == label)


@pytest.fixture
def echo_chat(echo_loaded: Any) -> Iterator[Any]:
    chat = echo_loaded
    chat.ids.composer.text = "one two three"
    chat.ids.composer.dispatch("on_submit")
    pump(lambda: not chat.streaming and len(chat.messages) == 2 and chat.messages[-1].content)
    yield chat
    for sheet in open_sheets():
        sheet.dismiss()


def test_a_long_press_on_an_answer_opens_its_actions_and_a_tap_runs_one(ui_app: Any, echo_chat: Any) -> None:
    chat = echo_chat
    answer = chat.messages[-1]
    body = shown_view(chat, "MessageBody", answer.id)
    hold(body, lambda: open_sheets())
    sheet = open_sheets()[0]
    labels = [b.text for b in reversed(sheet.ids.actions.children)]
    assert labels == ["Copy", "Regenerate", "Share", "Like", "Dislike"]
    assert "tokens" in sheet.title  # the details a hover would show
    bar = next(
        r
        for r in chat.ids.messages.data
        if r.get("viewclass") == "MessageActionBar" and r["message_id"] == answer.id
    )
    assert bar["show_details"]  # in the action bar under the answer

    tap(sheet_button(sheet, "Like"))
    pump(lambda: not open_sheets() and chat.messages[-1].rating == "up")

    # A finger that moves is a scroll, not a long press.
    touch = finger(shown_view(chat, "MessageBody", answer.id))
    touch.touch_down()
    pump(frames=2)
    touch.touch_move(touch.x, touch.y + 60)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        pump(frames=1)
    touch.touch_up()
    pump(frames=2)
    assert not open_sheets()


def test_a_long_press_on_a_question_offers_to_edit_it(ui_app: Any, echo_chat: Any) -> None:
    from kivy.core.window import Window

    from llamadesk.ui.widgets.dialogs import TextDialog

    chat = echo_chat
    question = chat.messages[0]
    hold(shown_view(chat, "MessageHeader", question.id), lambda: open_sheets())
    sheet = open_sheets()[0]
    assert [b.text for b in reversed(sheet.ids.actions.children)] == ["Copy", "Edit"]
    tap(sheet_button(sheet, "Edit"))
    pump(lambda: any(isinstance(w, TextDialog) for w in Window.children))
    dialog = next(w for w in Window.children if isinstance(w, TextDialog))
    assert dialog.ids.field.text == "one two three"
    dialog.dismiss()
    pump(frames=2)


@pytest.fixture
def restore_size(ui_app: Any) -> Iterator[None]:
    from kivy.core.window import Window

    size = Window.size
    yield
    chat = ui_app.screens["chat"]
    chat.close_panel()
    Window.size = size
    pump(lambda: not ui_app.shell.narrow)
    pump(frames=3)


@pytest.mark.parametrize("size", TABLET_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_screens_drawer_and_side_panel_by_touch_at_tablet_sizes(
    ui_app: Any, restore_size: None, size: tuple[int, int]
) -> None:
    from kivy.core.window import Window

    shell, chat = ui_app.shell, ui_app.screens["chat"]
    ui_app.show_screen("chat")
    Window.size = size
    pump(frames=5)
    pump(lambda: shell.width == size[0])
    sidebar = shell.ids.sidebar.ids

    # To another screen and back, by the sidebar or, when narrow, by the drawer.
    for screen in ("models", "chat"):
        if shell.narrow:
            tap(shell.ids.menu_button)
            pump(lambda: shell.drawer_open and shell.ids.drawer_panel.x >= 0)
        tap(sidebar[f"nav_{screen}"])
        pump(lambda s=screen: shell.ids.screens.current == s)
        assert not shell.drawer_open

    # The chat's options: beside the chat when it is wide enough, else a sheet over it.
    tap(chat.ids.panel_button)
    pump(lambda: chat.panel_open)
    panel = chat.ids.panel
    if chat.panel_docked:
        assert panel.parent == chat.ids.panel_slot and panel.right <= Window.width + 1
    else:
        assert chat._sheet is not None and panel.parent is chat._sheet
    assert panel.width > 200 and panel.height > 200
    close = next(w for w in panel.walk() if getattr(w, "text", "") == "Close")
    tap(close)
    pump(lambda: not chat.panel_open)
    assert panel in chat.ids.panel_slot.held and panel.parent is None  # closed: not drawn


def test_turning_a_tablet_with_the_panel_open_keeps_it_usable(ui_app: Any, restore_size: None) -> None:
    from kivy.core.window import Window

    chat = ui_app.screens["chat"]
    ui_app.show_screen("chat")
    Window.size = (1280, 800)
    pump(frames=5)
    tap(chat.ids.panel_button)
    pump(lambda: chat.panel_open and chat.panel_docked)
    Window.size = (800, 1280)  # turned: the chat is now too narrow for the panel beside it
    pump(frames=5)
    pump(lambda: not chat.panel_docked)
    # The button opens it again, as a sheet now.
    tap(chat.ids.panel_button)
    pump(lambda: chat.panel_open)
    assert chat._sheet is not None
