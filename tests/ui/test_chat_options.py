"""The chat's actions and parameters in the real window: the header at 800x600, the side
panel (docked, or a sheet when narrow) with model, preset, system prompt, sampling and
context; saving a preset; export, share and import through the file dialogs; like and
dislike; a message's time and tokens on hover or a long press; the `/` menu."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from llamadesk.core.models.chat_history import ChatTranscript
from llamadesk.core.models.chat_params import GetChatParams, PresetList, PresetNameParams
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.llama import SamplingParams, Usage
from llamadesk.ui.viewmodels.chat_options import (
    SamplingError,
    export_name,
    message_details,
    sampling_from_texts,
    slash_suggestions,
)

from .conftest import pump
from .messages import message

# ---- without a window -----------------------------------------------------------------


def test_sampling_typed_over_the_preset() -> None:
    base = SamplingParams(temperature=0.7, top_k=20)
    assert sampling_from_texts(base, {"temperature": " ", "seed": ""}) is None  # nothing typed: the preset
    typed = sampling_from_texts(base, {"temperature": "0.2", "seed": "7"})
    assert typed is not None and typed.temperature == 0.2 and typed.seed == 7 and typed.top_k == 20
    with pytest.raises(SamplingError) as refused:
        sampling_from_texts(base, {"temperature": "9", "top_k": "many"})
    assert set(refused.value.errors) == {"temperature", "top_k"}


def test_details_names_and_the_slash_menu() -> None:
    written = message("a", "assistant", "x", usage=Usage(completion_tokens=48, tokens_per_second=31.24))
    today = written.created_at.astimezone()
    assert message_details(written, now=today) == f"{today:%H:%M} · 48 tokens · 31.2 tok/s"
    assert message_details(written, now=datetime(2030, 1, 1, tzinfo=UTC)).startswith(f"{today:%Y-%m-%d}")
    assert export_name("What: a/b?", "md") == "What ab.md" and export_name("///", "json") == "chat.json"
    menu = slash_suggestions("/", ["precise"], ["echo"], [])
    assert [s.text for s in menu] == ["/preset ", "/model ", "/tools ", "/tool ", "/clear "]
    assert [s.text for s in slash_suggestions("/pre", [], [], [])] == ["/preset "]
    assert [s.text for s in slash_suggestions("/preset pre", ["precise", "creative"], [], [])] == [
        "/preset precise "
    ]
    assert slash_suggestions("/preset precise now", ["precise"], [], []) == []
    assert slash_suggestions("hello /preset", ["precise"], [], []) == []


# ---- in the window --------------------------------------------------------------------


@pytest.fixture
def chat(ui_app: Any) -> Iterator[Any]:
    screen = ui_app.screens["chat"]
    ui_app.show_screen("chat")
    screen.new_chat()
    yield screen
    screen.close_panel()
    screen.sampling = None


def test_the_header_keeps_its_title_at_800x600(ui_app: Any, chat: Any) -> None:
    from kivy.core.window import Window

    wide = Window.size
    try:
        Window.size = (800, 600)
        pump(lambda: chat.compact)
        chat.session_title = "Planning a trip to Norway"
        pump(frames=3)
        title = chat.ids.title
        assert title.width > 120 and title.texture_size[0] > 60  # not shortened to "."
        assert chat.ids.model_picker.width == 0  # in the side panel instead
    finally:
        Window.size = wide
        pump(lambda: not chat.compact)


def test_the_panel_sets_preset_prompt_sampling_and_saves_a_preset(ui_app: Any, chat: Any) -> None:
    chat.show_messages([])
    chat.ids.panel_button.dispatch("on_release")
    pump(lambda: chat.panel_docked and "precise" in chat.preset_names)
    panel = chat.ids.panel
    panel.ids.preset.text = "precise"
    assert chat.preset_name == "precise" and panel.ids.system_prompt.text == chat.system_prompt
    field = panel.ids.sampling_temperature
    field.text = "9"
    field.dispatch("on_text_validate")
    assert field.error and "temperature" in chat.panel_note
    field.text = "0.15"
    field.dispatch("on_text_validate")
    assert not field.error and chat.sampling is not None and chat.sampling.temperature == 0.15
    dialog = chat.save_as_preset()
    assert dialog is not None
    dialog.ids.field.text = "my careful one"
    dialog.ids.ok.dispatch("on_release")
    pump(lambda: chat.preset_name == "my careful one")
    presets = ui_app.bridge.invoke("chat.presets", Empty(), PresetList).presets
    saved = next(p for p in presets if p.name == "my careful one")
    assert saved.sampling.temperature == 0.15
    ui_app.bridge.invoke("chat.preset_delete", PresetNameParams(name="my careful one"), Empty)


def test_a_narrow_window_shows_the_panel_as_a_sheet(ui_app: Any, chat: Any) -> None:
    from kivy.core.window import Window

    wide = Window.size
    try:
        Window.size = (700, 800)
        pump(lambda: ui_app.shell.narrow)
        chat.open_panel()
        pump(frames=3)
        assert not chat.panel_docked and chat._sheet is not None
        assert chat.ids.panel.parent is chat._sheet
        chat.close_panel()
        pump(frames=3)
        # Back in its slot, which holds it out of the tree while closed: nothing of it is drawn.
        assert chat.ids.panel in chat.ids.panel_slot.held and chat.ids.panel.parent is None
        assert not chat.panel_open
    finally:
        Window.size = wide
        pump(lambda: not ui_app.shell.narrow)


def instructions(canvas: Any) -> Iterator[Any]:
    """Every instruction a canvas draws, its children's canvases included, in order."""
    from kivy.graphics.instructions import Canvas

    if isinstance(canvas, Canvas):
        yield from instructions(canvas.before)
    for child in canvas.children:
        yield child
        if hasattr(child, "children") and child.children is not None:
            yield from instructions(child)
    if isinstance(canvas, Canvas):
        yield from instructions(canvas.after)


def test_a_hidden_slot_holds_its_child_alive_and_shows_it_again(ui_app: Any) -> None:
    """A child given back while hidden (the panel from its sheet, through a weak `ids` proxy)
    is held by the slot itself, out of the tree, and drawn again once shown."""
    import gc

    from kivy.uix.label import Label

    from llamadesk.ui.widgets.shown_slot import ShownSlot

    slot = ShownSlot(shown=False)
    slot.add_widget(Label(text="held").proxy_ref)  # nothing else keeps the label alive
    gc.collect()
    (held,) = slot.held
    assert held.text == "held" and held.parent is None and not slot.children
    slot.shown = True
    assert slot.children == [held] and held.parent is slot
    slot.shown = False
    assert not slot.children and slot.held == [held] and held.parent is None
    slot.remove_widget(held.proxy_ref)
    assert not slot.held


def test_a_closed_panel_draws_nothing_and_an_open_one_no_stencil(ui_app: Any, chat: Any) -> None:
    """Closed (no width), the panel was still drawn in every frame of the chat, and its scroll
    view's stencil cleared the window's stencil buffer each time (shown_slot.py,
    clipped_list.py). Open, docked or as a sheet, it is clipped by a scissor at its place."""
    from kivy.core.window import Window
    from kivy.graphics import StencilPush

    from llamadesk.ui.widgets.clipped_list import ClippedScrollView

    chat.close_panel()
    pump(lambda: not chat.panel_open and chat.ids.panel in chat.ids.panel_slot.held)
    pump(frames=2)
    panel = chat.ids.panel
    drawn = list(instructions(chat.canvas))
    assert panel.canvas not in drawn and not [i for i in drawn if isinstance(i, StencilPush)]
    scroll = next(w for w in panel.walk(restrict=True) if isinstance(w, ClippedScrollView))

    def clipped_to_its_place() -> bool:
        scissor = scroll._clip._scissor
        x, y = scroll.to_window(*scroll.pos)
        box = (scissor.x, scissor.y, scissor.width, scissor.height)
        return box == (int(x), int(y), int(scroll.width), int(scroll.height)) and scroll.width > 100

    chat.open_panel()
    pump(lambda: chat.panel_docked and clipped_to_its_place())
    drawn = list(instructions(chat.canvas))
    assert panel.canvas in drawn and not [i for i in drawn if isinstance(i, StencilPush)]
    chat.close_panel()
    wide = Window.size
    try:
        Window.size = (700, 800)
        pump(lambda: ui_app.shell.narrow)
        chat.open_panel()
        pump(lambda: panel.parent is chat._sheet and clipped_to_its_place())
    finally:
        chat.close_panel()
        Window.size = wide
        pump(lambda: not ui_app.shell.narrow and panel in chat.ids.panel_slot.held)


@pytest.fixture
def echo_chat(chat: Any, echo_loaded: Any) -> Any:
    """This module's chat (its panel closed after) with the echo model loaded (conftest)."""
    return echo_loaded


def send(chat: Any, text: str) -> None:
    pump(lambda: chat.model_state == "ready")
    chat.ids.composer.text = text
    chat.ids.composer.dispatch("on_submit")
    pump(lambda: not chat.streaming)
    pump(lambda: chat.messages and chat.messages[-1].content and chat.messages[-1].role.value == "assistant")


def bar_rows(chat: Any) -> list[dict[str, Any]]:
    return [r for r in chat.ids.messages.data if r["viewclass"] == "MessageActionBar"]


def test_rate_export_share_and_import(ui_app: Any, echo_chat: Any, tmp_path: Path) -> None:
    from llamadesk.ui.widgets.message_views import MessageActionBar

    chat = echo_chat
    send(chat, "llamas are camelids")
    answer = chat.messages[-1]
    pump(
        lambda: any(
            isinstance(v, MessageActionBar) and v.message_id == answer.id
            for v in chat.ids.messages.layout_manager.view_indices
        )
    )
    view = next(
        v
        for v in chat.ids.messages.layout_manager.view_indices
        if isinstance(v, MessageActionBar) and v.message_id == answer.id
    )
    view.ids.like.dispatch("on_release")
    pump(lambda: bar_rows(chat)[-1]["rating"] == "up")
    stored = ui_app.bridge.invoke("chat.get", GetChatParams(session_id=chat.session_id), ChatTranscript)
    assert stored.messages[-1].rating == "up"

    dialog = chat.export_chat("markdown")
    dialog.ids.chooser.path = str(tmp_path)
    dialog.ids.name.text = "shared.md"
    dialog.ids.ok.dispatch("on_release")
    pump(lambda: (tmp_path / "shared.md").exists())
    assert "## Assistant 👍" in (tmp_path / "shared.md").read_text()

    dialog = chat.share_message(answer.id)
    dialog.ids.chooser.path = str(tmp_path)
    dialog.ids.name.text = "answer.md"
    dialog.ids.ok.dispatch("on_release")
    assert (tmp_path / "answer.md").read_text() == "llamas are camelids\n"

    dialog = chat.export_chat("json")
    dialog.ids.chooser.path = str(tmp_path)
    dialog.ids.name.text = "chat.json"
    dialog.ids.ok.dispatch("on_release")
    pump(lambda: (tmp_path / "chat.json").exists())
    assert json.loads((tmp_path / "chat.json").read_text())["format"] == "llamadesk.chat"

    first = chat.session_id
    picker = chat.import_chat()
    picker.ids.chooser.path = str(tmp_path)
    picker.pick([str(tmp_path / "chat.json")])
    # The new session is chosen before its transcript arrives: wait for its own messages.
    pump(
        lambda: (
            chat.session_id not in ("", first)
            and [m.session_id for m in chat.messages] == [chat.session_id] * 2
        )
    )
    assert chat.messages[-1].rating == "up"  # the copy keeps it (with new ids)
    chat.rate(chat.messages[-1].id, "up")  # pressed again: taken back
    pump(lambda: bar_rows(chat)[-1]["rating"] == "")


def test_details_show_on_hover_and_on_a_long_press(ui_app: Any, echo_chat: Any) -> None:
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    from llamadesk.ui.widgets.message_views import MessageActionBar

    chat = echo_chat
    send(chat, "one two three")
    index = len(chat.ids.messages.data) - 1  # the answer's action bar, its last row
    pump(
        lambda: any(
            isinstance(v, MessageActionBar) and v.index == index
            for v in chat.ids.messages.layout_manager.view_indices
        )
    )
    view = next(
        v
        for v in chat.ids.messages.layout_manager.view_indices
        if isinstance(v, MessageActionBar) and v.index == index
    )
    assert not view.show_details and "tokens" in view.details
    x, y = view.to_window(view.center_x, view.center_y)
    Window.mouse_pos = (x, y)  # hover
    pump(lambda: chat.ids.messages.data[index]["show_details"])
    Window.mouse_pos = (5, 5)  # away
    pump(lambda: not chat.ids.messages.data[index]["show_details"])

    touch = UnitTestTouch(x, y)
    touch.touch_down()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and not chat.ids.messages.data[index]["show_details"]:
        pump(frames=1)
    touch.touch_up()
    assert chat.ids.messages.data[index]["show_details"]
    # The press also opened the message's actions (tests/ui/test_touch.py): closed here.
    from llamadesk.ui.screens.chat_actions import MessageActions

    sheets = [w for w in Window.children if isinstance(w, MessageActions)]
    assert len(sheets) == 1
    sheets[0].dismiss()
    pump(frames=2)


def test_the_slash_menu(ui_app: Any, echo_chat: Any) -> None:
    chat = echo_chat
    chat.load_presets()
    pump(lambda: "precise" in chat.preset_names)
    composer = chat.ids.composer
    composer.text = "/"
    pump(frames=1)
    assert chat.mention_suggestions[0].startswith("/preset")
    composer.text = "/preset pre"
    pump(frames=1)
    assert chat.mention_suggestions == ["precise"]
    assert chat.complete_first_mention()  # Tab
    assert composer.text == "/preset precise "
    composer.dispatch("on_submit")
    assert chat.preset_name == "precise" and composer.text == "" and not chat.streaming
    send(chat, "remember me")
    assert chat.session_id
    composer.text = "/clear"
    composer.dispatch("on_submit")
    assert chat.session_id == "" and chat.ids.messages.data == []
