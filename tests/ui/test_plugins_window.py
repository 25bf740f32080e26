"""What plugins add, as the window shows it: a plugin's settings section, a backend
plugin's model in the chat's picker, answering in the chat."""

from __future__ import annotations

from typing import Any

from llamadesk.core.models.library import ListParams, ModelList
from llamadesk.core.models.llama import ModelParams, RuntimeStatus, StatusParams, UnloadResult
from llamadesk.core.models.settings import ConfigGetParams, ConfigSetParams, ConfigValue

from .conftest import pump

ECHO = "scripted/echo"  # tests/fake_backend's model: answers with the user's words


def unload_echo(ui_app: Any) -> None:
    """Unload it, and wait until the window knows: the next tests start with nothing loaded."""
    ui_app.bridge.invoke("runtime.unload", ModelParams(model=ECHO), UnloadResult)
    ui_app.refresh_status()
    pump(lambda: ui_app.shell.ids.status.models_text == "No model loaded")
    pump(lambda: ui_app.screens["chat"].model_state == "")


def test_settings_show_a_plugins_section_and_save_its_setting(ui_app: Any) -> None:
    settings = ui_app.screens["settings"]
    ui_app.show_screen("settings")
    pump(lambda: "hello" in settings.sections)
    form = settings.ids.form
    section = settings.sections["hello"]
    assert section.text == "Hello"
    assert "llamadesk_hello" in section.description
    row = settings.rows["hello.greeting"]
    # The row sits in the Hello section: after its title, before the next section's.
    shown = list(reversed(form.children))
    after = shown[shown.index(section) + 1 :]
    assert row in after[: next(i for i, w in enumerate(after) if w in settings.sections.values())]
    field = settings.inputs["hello.greeting"]
    assert field.text == "Hello"
    try:
        field.text = "Ahoy"
        field.dispatch("on_text_validate")
        pump(lambda: settings.saved_note == "Saved hello.greeting")
        value = ui_app.bridge.invoke("config.get", ConfigGetParams(key="hello.greeting"), ConfigValue)
        assert value.value == "Ahoy"

        field.text = ""  # the plugin's model refuses it: the message shows under the field
        field.dispatch("on_text_validate")
        pump(lambda: row.error)
        assert "at least 1 character" in row.error
    finally:
        ui_app.commands.invoke("config.set", ConfigSetParams(values={"hello.greeting": "Hello"}))


def test_plugin_sections_come_with_their_controls(ui_app: Any) -> None:
    settings = ui_app.screens["settings"]
    ui_app.show_screen("settings")
    pump(lambda: "server" in settings.sections)
    assert settings.inputs["server.api_key"].password  # a secret is typed masked
    assert not settings.inputs["server.host"].password
    # The API server's switch sits in its own section, above the host and port.
    shown = list(reversed(settings.ids.form.children))
    switch_row = settings.ids.server_switch.parent
    assert shown.index(settings.sections["server"]) < shown.index(switch_row)
    assert shown.index(switch_row) < shown.index(settings.rows["server.host"])


def test_a_backend_plugins_model_answers_in_the_chat(ui_app: Any) -> None:
    listing = ui_app.bridge.invoke("models.list", ListParams(discover=False), ModelList)
    assert ECHO in [m.id for m in listing.remote]
    models = ui_app.screens["models"]
    ui_app.show_screen("models")
    pump(lambda: any(r["name"] == ECHO and r["remote"] for r in models.rows))

    chat = ui_app.screens["chat"]
    ui_app.show_screen("chat")
    chat.new_chat()
    picker = chat.ids.model_picker
    pump(lambda: ECHO in picker.values)
    try:
        picker.is_open = True  # the drop-down, and a click on the model in it
        pump(frames=2)
        option = next(w for w in picker._dropdown.container.children if w.text == ECHO)
        option.dispatch("on_release")
        pump(lambda: chat.model_id == ECHO)
        assert not picker.is_open
        chat.ids.load_button.dispatch("on_release")
        pump(lambda: chat.model_state in ("ready", "error"))
        assert chat.model_state == "ready", chat.hint
        chat.ids.composer.text = "hello there"
        chat.ids.send_button.dispatch("on_release")
        pump(lambda: len(chat.messages) == 2 and not chat.streaming)
        assert chat.messages[-1].content == "hello there"
        bodies = [r for r in chat.ids.messages.data if r["viewclass"] == "MessageBody"]
        assert bodies[-1]["source"] == "hello there"
    finally:
        unload_echo(ui_app)


def test_a_served_model_loads_from_the_models_screen_with_the_dialogs_options(ui_app: Any) -> None:
    from kivy.core.window import Window

    from llamadesk.ui.widgets.dialogs import LoadDialog

    models = ui_app.screens["models"]
    ui_app.show_screen("models")
    pump(lambda: any(r["name"] == ECHO for r in models.rows))
    try:
        models.load(ECHO)
        pump(lambda: any(isinstance(w, LoadDialog) for w in Window.children))
        dialog = next(w for w in Window.children if isinstance(w, LoadDialog))
        assert dialog.ids.context_size.text == "4096"  # the load settings' value
        dialog.ids.context_size.text = "12"  # below the minimum: refused on its field
        dialog.ids.ok.dispatch("on_release")
        assert dialog.ids.context_size.error and dialog in Window.children
        dialog.ids.context_size.text = "1024"
        dialog.ids.ok.dispatch("on_release")
        pump(lambda: next(r for r in models.rows if r["name"] == ECHO)["state"] == "ready")
        status = ui_app.bridge.invoke("runtime.status", StatusParams(), RuntimeStatus)
        echo = next(m for m in status.models if m.id == ECHO)
        assert echo.options is not None and echo.options.context_size == 1024
    finally:
        unload_echo(ui_app)
