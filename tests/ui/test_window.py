"""The real app in a real (offscreen) window: settings, drawer, shortcuts, streaming rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llamadesk.core.models.commands import Empty, TokenEvent
from llamadesk.core.models.server import ServerStatus
from llamadesk.core.models.settings import ConfigSetParams
from llamadesk.core.models.system import TickerParams, TickerResult

from .conftest import pump


def test_all_screens_show(ui_app: Any) -> None:
    for name in ("models", "discover", "settings", "chat"):
        ui_app.show_screen(name)
        pump(frames=2)
        assert ui_app.shell.ids.screens.current == name
        assert ui_app.shell.ids.sidebar.current == name


def test_a_changed_setting_is_saved_and_shown(ui_app: Any, ui_home: Path) -> None:
    ui_app.show_screen("settings")
    settings = ui_app.screens["settings"]
    pump(lambda: "sampling.temperature" in settings.inputs)
    field = settings.inputs["sampling.temperature"]
    field.text = "0.3"
    field.dispatch("on_text_validate")
    pump(lambda: settings.saved_note == "Saved sampling.temperature")
    saved = json.loads(next(ui_home.rglob("config.json")).read_text())
    assert saved["sampling"]["temperature"] == 0.3

    # An invalid value is refused with a message on the field; the saved value stays.
    field.text = "9"
    field.dispatch("on_text_validate")
    pump(lambda: settings.rows["sampling.temperature"].error)
    assert "5" in settings.rows["sampling.temperature"].error
    assert json.loads(next(ui_home.rglob("config.json")).read_text())["sampling"]["temperature"] == 0.3


def test_theme_switches_live_and_persists(ui_app: Any, ui_home: Path) -> None:
    settings = ui_app.screens["settings"]
    ui_app.show_screen("settings")
    settings.inputs["theme"].text = "light"
    pump(lambda: ui_app.theme.name == "light")
    assert json.loads(next(ui_home.rglob("config.json")).read_text())["theme"] == "light"
    settings.inputs["theme"].text = "dark"
    pump(lambda: ui_app.theme.name == "dark")


def test_narrow_window_moves_the_sidebar_into_a_drawer(ui_app: Any) -> None:
    from kivy.core.window import Window

    shell = ui_app.shell
    wide = Window.size
    try:
        Window.size = (600, 800)
        pump(lambda: shell.narrow)
        sidebar = shell.ids.sidebar
        assert sidebar.parent == shell.ids.drawer_panel
        assert not shell.drawer_open
        shell.ids.menu_button.dispatch("on_release")
        pump(lambda: shell.ids.drawer_panel.x >= 0)
        assert shell.drawer_open
        sidebar.ids.nav_models.dispatch("on_release")  # navigating closes the drawer
        pump(lambda: not shell.drawer_open)
        assert shell.ids.screens.current == "models"
    finally:
        Window.size = wide
        pump(lambda: not shell.narrow)
    assert shell.ids.sidebar.parent == shell.ids.sidebar_slot


def test_shortcuts(ui_app: Any) -> None:
    from kivy.core.window import Window

    ui_app.show_screen("settings")
    Window.dispatch("on_key_down", ord("n"), 0, "n", ["ctrl"])
    pump(frames=2)
    assert ui_app.shell.ids.screens.current == "chat"
    Window.dispatch("on_key_down", ord("k"), 0, "k", ["ctrl"])
    pump(frames=2)
    assert ui_app.shell.ids.sidebar.ids.search.focus
    Window.dispatch("on_key_down", 27, 0, "", [])  # Esc with nothing streaming: the app keeps running
    pump(frames=2)
    assert ui_app.shell.get_root_window() is not None


def test_stream_events_arrive_batched_per_frame(ui_app: Any) -> None:
    batches: list[int] = []
    results: list[Any] = []
    ui_app.bridge.stream(
        "system.ticker",
        TickerParams(count=200, interval=0),
        TickerResult,
        lambda events: batches.append(len(events)),
        results.append,
    )
    pump(lambda: results)
    assert sum(batches) == 200
    assert len(batches) < 200  # many events per frame, one callback each
    assert results[0].ticks == 200


def test_cancel_stops_a_stream(ui_app: Any) -> None:
    errors: list[Any] = []
    results: list[Any] = []
    handle = ui_app.bridge.stream(
        "system.ticker",
        TickerParams(count=1000, interval=0.05),
        TickerResult,
        None,
        results.append,
        errors.append,
    )
    pump(frames=3)
    handle.cancel()
    pump(lambda: results or errors)
    assert results and results[0].cancelled


def test_streamed_markdown_freezes_finished_blocks(ui_app: Any) -> None:
    from llamadesk.ui.screens.chat_stream import LiveAnswer

    ui_app.show_screen("chat")
    chat = ui_app.screens["chat"]
    chat.show_messages([])
    rv = chat.ids.messages
    live = LiveAnswer(rv.data, chat.metrics(), "test")
    for row in rv.data:
        row["controller"] = chat
    text = "First paragraph with **bold**.\n\n```python\nprint(1)\n```\n\nThe tail"
    for piece in text.split(" "):
        live.feed([TokenEvent(text=piece + " ")])
        for row in rv.data:
            row.setdefault("controller", chat)
        pump(frames=1)
    bodies = [r for r in rv.data if r["viewclass"] == "MessageBody"]
    assert [b["source"].split("\n")[0] for b in bodies] == [
        "First paragraph with **bold**.",
        "```python",
        "The tail ",
    ]
    # The tail has the key its chunk will have: that row keeps the tail's drawn widgets.
    assert bodies[-1]["cache_key"] not in {b["cache_key"] for b in bodies[:-1]}
    assert all(b["streaming"] for b in bodies)
    pump(frames=3)
    shown = [w for w in rv.layout_manager.children if type(w).__name__ == "MessageBody"]
    assert any("[b]bold[/b]" in c.markup for w in shown for c in w.children if hasattr(c, "markup"))


def test_api_server_toggle_serves_and_stops(ui_app: Any) -> None:
    import socket
    import urllib.request

    with socket.socket() as probe:  # a free port, so a running 8765 elsewhere cannot clash
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ui_app.commands.invoke("config.set", ConfigSetParams(values={"server.port": port}))
    settings = ui_app.screens["settings"]
    ui_app.show_screen("settings")
    pump(lambda: settings.server_note.startswith("Off"))

    settings.ids.server_switch.active = True
    pump(lambda: "API at http://127.0.0.1:" in settings.server_note, timeout=60)
    assert f":{port}/v1" in settings.server_note
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
        assert response.status == 200

    settings.ids.server_switch.active = False
    pump(lambda: settings.server_note.startswith("Off"), timeout=60)
    status = ui_app.bridge.invoke("server.status", Empty(), ServerStatus)
    assert status.running is False


def test_dialogs_call_back_what_they_were_given(ui_app: Any) -> None:
    """Kivy takes every `on_*` keyword for an event binding: a dialog's callback given as
    `on_submit=` once stayed None, and renaming, deleting and editing did nothing."""
    from llamadesk.ui.widgets.dialogs import ConfirmDialog, TextDialog

    got: list[object] = []
    text = TextDialog(title="Rename chat", text="old", on_submit=got.append)
    text.open()
    pump(frames=2)
    text.ids.field.text = "new"
    text.ids.ok.dispatch("on_release")
    confirm = ConfirmDialog(title="Delete", on_confirm=lambda: got.append("yes"))
    confirm.open()
    pump(frames=2)
    confirm.ids.ok.dispatch("on_release")
    pump(frames=2)
    assert got == ["new", "yes"]
