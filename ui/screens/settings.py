# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""Settings: one section per group of `config.schema` (the core's, then each plugin's), one
row per setting, the control chosen by the setting's kind.

A change is saved at once through `config.set`; a validation error is shown
under the field it belongs to and the old value stays saved.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.server import ServerStartParams, ServerStatus
from llamadesk.core.models.settings import (
    ConfigGetParams,
    ConfigResult,
    ConfigSetParams,
    ConfigValue,
    SettingField,
    SettingKind,
    SettingsGroup,
    SettingsSchema,
)
from llamadesk.core.models.system import PluginList

from ..catalogs import LANGUAGES, error_text, tr
from ..viewmodels.settings_form import (
    choice_text,
    choice_value,
    field_error,
    form_groups,
    group_description,
    parse_text,
    to_text,
    value_at,
)
from ..widgets.common import make
from .base import AppScreen

DISABLED_PLUGINS = "disabled_plugins"  # edited by the Plugins section's switches
SERVER_GROUP = "server"  # the API server plugin's settings: its on/off switch goes there


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
        self.groups: list[SettingsGroup] = []
        self.sections: dict[str, Widget] = {}  # by group id
        self.rows: dict[str, SettingRow] = {}  # by dotted key
        self.inputs: dict[str, Widget] = {}
        self._fields: dict[str, SettingField] = {}
        self._saved: dict[str, Any] = {}  # every setting, as config.get returns them
        self._loading = False
        self._showing_server = False

    def on_shown(self) -> None:
        # Built on first view, not at launch: ~50 rows of labels would delay the first frame.
        if not self.rows:
            self.build_form()
        else:
            self.load_values()
        self.load_plugins()
        self.load_server()

    def build_form(self) -> None:
        try:
            schema = self.app.bridge.invoke("config.schema", Empty(), SettingsSchema)
        except CommandError as error:
            self.saved_note = error_text(error)
            return
        self.groups = form_groups(schema)
        form = self.ids.form
        form.clear_widgets()
        for group in self.groups:
            section = make("SettingSection", text=tr(group.title), description=group_description(group))
            self.sections[group.id] = section
            form.add_widget(section)
            if group.id == SERVER_GROUP:
                self._move_server_switch(form)
            for field in group.fields:
                # The catalog has the core's and the default plugins' labels and descriptions
                # (scripts/i18n_catalogs.py reads config.schema); another plugin's show as written.
                row = SettingRow(key=field.key, label=tr(field.label), description=tr(field.description))
                widget = self._input_for(field)
                row.ids.slot.add_widget(widget)
                self.rows[field.key] = row
                self.inputs[field.key] = widget
                self._fields[field.key] = field
                form.add_widget(row)
        self.load_values()

    def _move_server_switch(self, form: Widget) -> None:
        """The switch goes under the API server's own section, above its host and port."""
        row, fallback = self.ids.server_row, self.ids.server_fallback
        fallback.remove_widget(row)
        if fallback.parent is not None:
            fallback.parent.remove_widget(fallback)
        form.add_widget(row)

    def _input_for(self, field: SettingField) -> Widget:
        widget: Widget
        if field.kind is SettingKind.BOOL:
            widget = Factory.SettingSwitch()
            widget.bind(active=lambda _w, value, f=field: self.save(f, value))
        elif field.kind is SettingKind.CHOICE:
            widget = make("SettingChoice", values=[choice_text(field, c) for c in field.choices])
            if field.key == "language":
                widget.option_cls = "LanguageOption"
            widget.bind(text=lambda _w, text, f=field: self.save(f, choice_value(f, text)))
        else:
            hint = tr("(empty)") if field.optional else ""
            widget = Factory.FieldInput(hint_text=hint, password=field.secret)
            widget.bind(on_text_validate=lambda w, f=field: self.save_text(f, w))
            widget.bind(focus=lambda w, focused, f=field: None if focused else self.save_text(f, w))
        return widget

    def load_values(self) -> None:
        try:
            config = self.app.bridge.invoke("config.get", ConfigGetParams(), ConfigValue).value
        except CommandError as error:
            self.saved_note = error_text(error)
            return
        self._loading = True
        try:
            for key, field in self._fields.items():
                widget = self.inputs[key]
                value = value_at(config, key)
                if field.kind is SettingKind.BOOL:
                    widget.active = bool(value)
                elif field.kind is SettingKind.CHOICE:
                    widget.text = choice_text(field, str(value))
                else:
                    widget.text = to_text(field, value)
                self._show_error(field, "")
        finally:
            self._loading = False
        self._saved = config

    def save_text(self, field: SettingField, widget: Widget) -> None:
        try:
            value = parse_text(field, widget.text)
        except ValueError as exc:
            self._show_error(field, str(exc))
            return
        self.save(field, value)

    def save(self, field: SettingField, value: Any) -> None:
        if self._loading or value == value_at(self._saved, field.key):
            return
        self.app.bridge.call(
            "config.set",
            ConfigSetParams(values={field.key: value}),
            ConfigResult,
            partial(self._saved_ok, field),
            partial(self._failed, field),
        )

    def _saved_ok(self, field: SettingField, result: ConfigResult) -> None:
        self._saved = result.flat()
        self._show_error(field, "")
        if field.key == DISABLED_PLUGINS:
            self.saved_note = tr("Plugin changes apply at the next start.")
        else:
            self.saved_note = tr("Saved {key}").format(key=field.key)
        if field.key == "theme":
            self.app.set_theme(result.config.theme.value)
        if field.key == "language":
            self.app.set_language(result.config.language.value)
            self.saved_note = tr("The window is in {language} now.").format(
                language=LANGUAGES[self.app.language]
            )

    def on_language_switch(self) -> None:
        if self.rows:  # built: its labels and descriptions were translated when made
            note = self.saved_note
            self.build_form()
            self.saved_note = note
            self.load_plugins()
            self.load_server()

    def _failed(self, field: SettingField, error: CommandError) -> None:
        self._show_error(field, field_error(error.info.details, field.key) or error_text(error))

    def _show_error(self, field: SettingField, message: str) -> None:
        if field.key in self.rows:
            self.rows[field.key].error = message
            widget = self.inputs[field.key]
            if hasattr(widget, "error"):
                widget.error = message
        elif message:
            self.saved_note = message

    # ---- plugins -----------------------------------------------------------------------
    def load_plugins(self) -> None:
        self.app.bridge.call(
            "plugins.list", Empty(), PluginList, self._show_plugins, lambda e: self.app.notify(error_text(e))
        )

    def _disabled_plugins(self) -> set[str]:
        return set(value_at(self._saved, DISABLED_PLUGINS) or [])

    def _show_plugins(self, listing: PluginList) -> None:
        disabled = self._disabled_plugins()
        box = self.ids.plugins
        box.clear_widgets()
        names = [p.name for p in listing.plugins if p.origin != "core"]
        names += sorted(disabled - set(names))
        for name in names:
            row = make("PluginRow", name=name, enabled=name not in disabled)
            row.bind(enabled=lambda r, on: self.set_plugin(r.name, on))
            box.add_widget(row)
        for failure in listing.failures:
            box.add_widget(
                Factory.MutedLabel(
                    text=tr("{name} failed ({stage}): {error}").format(
                        name=failure.name, stage=failure.stage, error=failure.error
                    )
                )
            )
        if not names:
            box.add_widget(Factory.MutedLabel(text=tr("Only the core is loaded.")))

    def set_plugin(self, name: str, enabled: bool) -> None:
        disabled = self._disabled_plugins()
        disabled = disabled - {name} if enabled else disabled | {name}
        field = SettingField(
            key=DISABLED_PLUGINS, label=DISABLED_PLUGINS, description="", kind=SettingKind.LIST
        )
        self.save(field, sorted(disabled))

    # ---- local API server ---------------------------------------------------------------
    def load_server(self) -> None:
        if not self.app.bridge.has("server.status"):
            self.server_note = tr("The API server plugin is not loaded.")
            self.ids.server_switch.disabled = True
            return
        self.app.bridge.call("server.status", Empty(), ServerStatus, self._show_server, self._server_failed)

    def toggle_server(self, on: bool) -> None:
        if self._showing_server or not self.app.bridge.has("server.status"):
            return
        self.server_note = tr("Starting…") if on else tr("Stopping…")
        if on:
            params: ServerStartParams | Empty = ServerStartParams()
        else:
            params = Empty()
        command = "server.start" if on else "server.stop"
        self.app.bridge.call(command, params, ServerStatus, self._show_server, self._server_failed)

    def _show_server(self, status: ServerStatus, error: str | None = None) -> None:
        self._showing_server = True  # setting the switch must not start or stop anything
        try:
            self.ids.server_switch.active = status.running
        finally:
            self._showing_server = False
        if error:
            self.server_note = error
        elif status.running:
            key = tr(" (API key required)") if status.key_required else ""
            self.server_note = tr("OpenAI-compatible API at {url}").format(url=status.url) + key
        else:
            self.server_note = tr("Off. Editors and scripts can use your models when it is on.")

    def _server_failed(self, error: CommandError) -> None:
        # The switch goes back to what is true; the note keeps the reason.
        self.app.bridge.call(
            "server.status",
            Empty(),
            ServerStatus,
            lambda status: self._show_server(status, error_text(error)),
        )
