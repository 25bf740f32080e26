"""Settings: one row per AppConfig field, generated from its type and description.

A change is saved at once through `config.set`; a validation error is shown
under the field it belongs to and the old value stays saved.
"""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout

from llamadesk.core.commands import CommandError

from ..viewmodels.records import items
from ..viewmodels.settings_form import (
    SettingField,
    field_errors,
    parse_text,
    setting_fields,
    to_text,
    value_at,
)
from ..widgets.common import make
from .base import AppScreen


class SettingRow(BoxLayout):
    key = StringProperty("")
    label = StringProperty("")
    description = StringProperty("")
    error = StringProperty("")


class SettingsScreen(AppScreen):
    saved_note = StringProperty("")
    server_note = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields = setting_fields()
        self.rows: dict[str, SettingRow] = {}
        self.inputs: dict[str, Any] = {}

    def on_shown(self) -> None:
        # Built on first view, not at launch: ~40 rows of labels would delay the first frame.
        if not self.rows:
            self.build_form()
        else:
            self.load_values()
        self.load_plugins()
        self.load_server()

    def build_form(self) -> None:
        form = self.ids.form
        form.clear_widgets()
        for field in self.fields:
            if field.kind == "section":
                form.add_widget(make("SettingSection", text=field.label, description=field.description))
                continue
            row = SettingRow(key=field.key, label=field.label, description=field.description)
            widget = self._input_for(field)
            row.ids.slot.add_widget(widget)
            self.rows[field.key] = row
            self.inputs[field.key] = widget
            form.add_widget(row)
        self.load_values()

    def _input_for(self, field: SettingField) -> Any:
        if field.kind == "bool":
            widget = Factory.SettingSwitch()
            widget.bind(active=lambda _w, value, f=field: self.save(f, value))
        elif field.kind == "choice":
            widget = make("SettingChoice", values=list(field.choices))
            widget.bind(text=lambda _w, value, f=field: self.save(f, value))
        else:
            widget = Factory.FieldInput(hint_text="(empty)" if field.optional else "")
            widget.bind(on_text_validate=lambda w, f=field: self.save_text(f, w))
            widget.bind(focus=lambda w, focused, f=field: None if focused else self.save_text(f, w))
        return widget

    def load_values(self) -> None:
        config = self.app.bridge.invoke("config.get", {}).model_dump(mode="json")["value"]
        self._loading = True
        try:
            for field in self.fields:
                widget = self.inputs.get(field.key)
                if widget is None:
                    continue
                value = value_at(config, field.key)
                if field.kind == "bool":
                    widget.active = bool(value)
                elif field.kind == "choice":
                    widget.text = str(value)
                else:
                    widget.text = to_text(field, value)
                self.rows[field.key].error = ""
                if hasattr(widget, "error"):
                    widget.error = ""
        finally:
            self._loading = False
        self._saved = config

    def save_text(self, field: SettingField, widget: Any) -> None:
        try:
            value = parse_text(field, widget.text)
        except ValueError as exc:
            self._show_error(field, str(exc))
            return
        self.save(field, value)

    def save(self, field: SettingField, value: Any) -> None:
        if getattr(self, "_loading", False):
            return
        if value == value_at(getattr(self, "_saved", {}), field.key):
            return
        self.app.bridge.call(
            "config.set",
            {"values": {field.key: value}},
            lambda result, f=field: self._saved_ok(f, result),
            lambda error, f=field: self._failed(f, error),
        )

    def _saved_ok(self, field: SettingField, result: Any) -> None:
        self._saved = result.model_dump(mode="json")["config"]
        self.rows[field.key].error = ""
        widget = self.inputs[field.key]
        if hasattr(widget, "error"):
            widget.error = ""
        self.saved_note = f"Saved {field.key}"
        if field.key == "theme":
            self.app.set_theme(str(value_at(self._saved, "theme")))

    def _failed(self, field: SettingField, error: CommandError) -> None:
        self._show_error(field, field_errors(error.info.details, field.key) or error.message)

    def _show_error(self, field: SettingField, message: str) -> None:
        self.rows[field.key].error = message
        widget = self.inputs[field.key]
        if hasattr(widget, "error"):
            widget.error = message

    # ---- plugins -----------------------------------------------------------------------
    def load_plugins(self) -> None:
        self.app.bridge.call("plugins.list", {}, self._show_plugins, lambda e: self.app.notify(e.message))

    def _show_plugins(self, result: Any) -> None:
        data = result.model_dump(mode="json")
        disabled = set(value_at(getattr(self, "_saved", {}), "disabled_plugins") or [])
        box = self.ids.plugins
        box.clear_widgets()
        names = [p["name"] for p in items(data, "plugins") if p.get("origin") != "core"]
        names += sorted(disabled - set(names))
        for name in names:
            row = make("PluginRow", name=name, enabled=name not in disabled)
            row.bind(enabled=lambda r, on: self.set_plugin(r.name, on))
            box.add_widget(row)
        for failure in items(data, "failures"):
            box.add_widget(Factory.MutedLabel(text=f"{failure['name']} failed: {failure['error']}"))
        if not names:
            box.add_widget(Factory.MutedLabel(text="Only the core is loaded."))

    def set_plugin(self, name: str, enabled: bool) -> None:
        disabled = set(value_at(getattr(self, "_saved", {}), "disabled_plugins") or [])
        disabled = disabled - {name} if enabled else disabled | {name}
        field = next(f for f in self.fields if f.key == "disabled_plugins")
        self.save(field, sorted(disabled))
        self.saved_note = "Plugin changes apply at the next start."

    # ---- local API server ---------------------------------------------------------------
    def load_server(self) -> None:
        if "server.status" not in self.app.commands:
            self.server_note = "The API server plugin is not loaded."
            self.ids.server_switch.disabled = True
            return
        self.app.bridge.call("server.status", {}, self._show_server, self._server_failed)

    def toggle_server(self, on: bool) -> None:
        if getattr(self, "_showing_server", False) or "server.status" not in self.app.commands:
            return
        self.server_note = "Starting..." if on else "Stopping..."
        command = "server.start" if on else "server.stop"
        self.app.bridge.call(command, {}, self._show_server, self._server_failed)

    def _show_server(self, result: Any, error: str | None = None) -> None:
        status = result.model_dump(mode="json")
        self._showing_server = True  # setting the switch must not start or stop anything
        try:
            self.ids.server_switch.active = bool(status["running"])
        finally:
            self._showing_server = False
        if error:
            self.server_note = error
        elif status["running"]:
            key = " (API key required)" if status.get("key_required") else ""
            self.server_note = f"OpenAI-compatible API at {status['url']}{key}"
        else:
            self.server_note = "Off. Editors and scripts can use your models when it is on."

    def _server_failed(self, error: CommandError) -> None:
        # The switch goes back to what is true; the note keeps the reason.
        self.app.bridge.call("server.status", {}, lambda result: self._show_server(result, error.message))
