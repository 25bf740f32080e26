# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""The chat's side panel (a sheet on narrow windows): model, preset, system prompt, sampling,
context size; saving them as a preset; exporting, sharing and importing chats; and the
per-answer rating and details.

A mixin of `ChatScreen`, which owns `session_id`, `system_prompt`, `sampling`, `model_id`
and the message list.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.metrics import dp
from kivy.properties import ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from llamadesk.core.commands import CommandError
from llamadesk.core.models.chat_history import ChatMessage, ChatPreset, ChatSession, PresetSpec
from llamadesk.core.models.chat_params import (
    ExportFormat,
    ExportParams,
    ExportResult,
    ImportParams,
    PresetList,
    RateParams,
    UpdateChatParams,
)
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.llama import LoadOptions, LoadParams, ModelStatus, SamplingParams
from llamadesk.core.models.settings import ConfigGetParams, ConfigValue

from ..catalogs import tr
from ..viewmodels.chat_options import (
    SAMPLING_FIELDS,
    SamplingError,
    export_name,
    sampling_from_texts,
    sampling_text,
)
from ..viewmodels.chat_rows import ACTION_BAR, action_bar_index
from ..viewmodels.status import short_model_name
from ..widgets.dialogs import FileDialog, SaveDialog, TextDialog

if TYPE_CHECKING:
    from .base import AppScreen as _Screen
else:
    _Screen = object

DOCKED_FROM = 900  # dp of the chat screen's width: from here the panel sits beside the chat
COMPACT_BELOW = 720  # dp of the chat's header: below it only the title and buttons stay


class ChatPanel(BoxLayout):
    screen = ObjectProperty(None, allownone=True)


class PanelSheet(ModalView):
    """The panel over a narrow window."""


class ChatOptions(_Screen):
    session_id: str
    session_title: str
    system_prompt: str
    sampling: SamplingParams | None
    model_id: str
    messages: list[ChatMessage]
    panel_open: bool
    panel_docked: bool
    preset_name: str
    preset_names: list[str]
    panel_note: str
    error: Callable[[CommandError], None]
    _set_system_prompt: Callable[[str], None]
    open_session: Callable[[str], None]

    _presets: dict[str, ChatPreset]
    _sheet: PanelSheet | None
    _hovered: int | None  # the action bar whose details the mouse shows

    # ---- the header, and the panel following the chat ----------------------------------
    def hover(self, _window: Any, pos: tuple[float, float]) -> None:
        """The mouse over a message shows its time and tokens (touch: a long press)."""
        if self.app.shell is None or self.app.shell.ids.screens.current != "chat":
            return
        rv = self.ids.messages
        index = None
        for view, row_index in rv.layout_manager.view_indices.items():
            if view.collide_point(*view.to_widget(*pos)):
                index = row_index
                break
        bar = action_bar_index(rv.data, index) if index is not None else None
        if bar != self._hovered:
            if self._hovered is not None:
                self.toggle_details(self._hovered, False)
            if bar is not None:
                self.toggle_details(bar, True)
            self._hovered = bar

    def sync_panel(self, *_: Any) -> None:
        """The panel's model, preset and note follow the chat (set here: kv rules of the panel,
        made before its `screen` is set, did not follow `root.screen.<property>`)."""
        if "panel" not in self.ids:  # still being built
            return
        ids = self.ids.panel.ids
        ids.panel_model.values = [short_model_name(m) for m in self.model_choices]
        ids.panel_model.text = short_model_name(self.model_id) or tr("Choose a model")
        answering = self.model_state in ("ready", "generating")
        ids.panel_load.text = tr("Unload") if answering else tr("Load")
        ids.panel_load.disabled = not self.model_id or self.model_state == "loading"
        ids.preset.values = list(self.preset_names)
        ids.preset.text = self.preset_name or tr("Choose a preset")
        ids.note.text = self.panel_note

    on_model_id = on_model_choices = on_model_state = sync_panel
    on_preset_name = on_preset_names = on_panel_note = sync_panel

    def set_compact(self, header_width: float) -> None:
        self.compact = header_width < dp(COMPACT_BELOW)

    # ---- open and close ---------------------------------------------------------------
    def toggle_panel(self) -> None:
        if self.panel_open:
            self.close_panel()
        else:
            self.open_panel()

    def open_panel(self) -> None:
        self.panel_open = True
        self.load_presets()
        self.show_panel_values()
        panel = self.ids.panel
        if self.width >= dp(DOCKED_FROM):
            self.panel_docked = True
            return
        self.panel_docked = False
        self.ids.panel_slot.remove_widget(panel)  # held there, out of the tree, while closed
        sheet = PanelSheet()
        sheet.add_widget(panel)
        sheet.bind(on_dismiss=lambda _s: self._sheet_closed())
        self._sheet = sheet
        sheet.open()

    def close_panel(self) -> None:
        if self._sheet is not None:
            self._sheet.dismiss()  # _sheet_closed puts the panel back
        self.panel_open = False
        self.panel_docked = False

    def _sheet_closed(self) -> None:
        sheet, self._sheet = self._sheet, None
        panel = self.ids.panel
        if sheet is not None and panel.parent is sheet:
            sheet.remove_widget(panel)
            self.ids.panel_slot.add_widget(panel)
        self.panel_open = False

    # ---- values -------------------------------------------------------------------------
    def show_panel_values(self) -> None:
        panel = self.ids.panel
        panel.ids.system_prompt.text = self.system_prompt
        base = self.base_sampling()
        for key, _label in SAMPLING_FIELDS:
            field = panel.ids[f"sampling_{key}"]
            field.text = sampling_text(self.sampling, key)
            field.hint_text = sampling_text(base, key) or tr("(empty)")  # what answers use when empty
            field.error = ""
        self.panel_note = ""

    def load_presets(self) -> None:
        if self.app.bridge.has("chat.presets"):
            self.app.bridge.call("chat.presets", Empty(), PresetList, self._show_presets, self.error)

    def _show_presets(self, listing: PresetList) -> None:
        self._presets = {p.name: p for p in listing.presets}
        self.preset_names = list(self._presets)

    def base_sampling(self) -> SamplingParams:
        """What answers use when the chat sets nothing: its preset's, else the settings'."""
        preset = self._presets.get(self.preset_name)
        if preset is not None:
            return preset.sampling
        try:
            value = self.app.bridge.invoke("config.get", ConfigGetParams(key="sampling"), ConfigValue).value
            return SamplingParams.model_validate(value)
        except (CommandError, ValueError):
            return SamplingParams()

    def apply_sampling(self) -> bool:
        """The panel's sampling fields become the chat's sampling (empty: the preset's)."""
        panel = self.ids.panel
        texts = {key: panel.ids[f"sampling_{key}"].text for key, _label in SAMPLING_FIELDS}
        for key, _label in SAMPLING_FIELDS:
            panel.ids[f"sampling_{key}"].error = ""
        try:
            self.sampling = sampling_from_texts(self.base_sampling(), texts)
        except SamplingError as exc:
            for key, message in exc.errors.items():
                if f"sampling_{key}" in panel.ids:
                    panel.ids[f"sampling_{key}"].error = message
            self.panel_note = "; ".join(f"{k}: {m}" for k, m in exc.errors.items())
            return False
        self.panel_note = (
            tr("Answers use these values.") if self.sampling else tr("Answers use the preset's values.")
        )
        return True

    def save_panel_prompt(self, text: str) -> None:
        if text != self.system_prompt:
            self._set_system_prompt(text)

    def pick_preset(self, name: str) -> None:
        preset = self._presets.get(name)
        if preset is None or name == self.preset_name:
            return
        self.preset_name = name
        self.sampling = None  # the preset's sampling, until values are typed
        self.system_prompt = preset.system_prompt
        self.show_panel_values()
        if self.session_id:
            params = UpdateChatParams(
                session_id=self.session_id, preset=name, system_prompt=preset.system_prompt
            )
            self.app.bridge.call("chat.update", params, ChatSession, None, self.error)
        self.panel_note = preset.description

    def reload_with_context(self, text: str) -> None:
        """Load the chat's model again with this context size (tokens)."""
        try:
            size = int(text.strip())
            configured = self.app.bridge.invoke("config.get", ConfigGetParams(key="load"), ConfigValue)
            options = LoadOptions.model_validate({**configured.value, "context_size": size})
        except (ValueError, CommandError) as exc:
            self.ids.panel.ids.context_size.error = str(exc).splitlines()[-1] if str(exc) else "a number"
            return
        self.ids.panel.ids.context_size.error = ""
        if not self.model_id:
            return
        self.panel_note = tr("Loading {model} with {size} tokens of context…").format(
            model=self.model_id, size=size
        )
        self.app.bridge.stream(
            "runtime.load",
            LoadParams(model=self.model_id, options=options),
            ModelStatus,
            None,
            lambda status: self._context_loaded(status),
            self.error,
        )

    def _context_loaded(self, status: ModelStatus) -> None:
        size = status.context_size or (status.options.context_size if status.options else None)
        self.panel_note = (
            tr("Loaded with {size} tokens of context.").format(size=size) if size else tr("Loaded.")
        )
        self.app.refresh_status()

    def save_as_preset(self) -> TextDialog | None:
        """The chat's system prompt and sampling as a new preset (asks for its name)."""
        if not self.apply_sampling():
            return None  # the note and the fields say what to fix
        prompt = self.ids.panel.ids.system_prompt.text

        def save(name: str) -> None:
            if not name.strip():
                return
            try:
                spec = PresetSpec(
                    name=name.strip(),
                    description=tr("Saved from “{title}”").format(title=self.session_title),
                    system_prompt=prompt,
                    sampling=self.sampling or self.base_sampling(),
                )
            except ValueError as exc:
                self.panel_note = str(exc).splitlines()[-1]
                return
            self.app.bridge.call("chat.preset_save", spec, ChatPreset, self._preset_saved, self.error)

        dialog = TextDialog(title=tr("Save as preset: its name"), text="", on_submit=save)
        dialog.open()
        return dialog

    def _preset_saved(self, preset: ChatPreset) -> None:
        self.panel_note = tr("Saved the preset {name}.").format(name=preset.name)
        self._presets[preset.name] = preset
        self.preset_names = list(self._presets)
        self.preset_name = preset.name
        if self.session_id:
            params = UpdateChatParams(session_id=self.session_id, preset=preset.name)
            self.app.bridge.call("chat.update", params, ChatSession, None, self.error)

    # ---- export, share, import ----------------------------------------------------------
    def export_chat(self, format_name: str) -> SaveDialog | None:
        if not self.session_id:
            self.panel_note = tr("Nothing to export yet: send a message first.")
            return None
        fmt = ExportFormat(format_name)
        extension = "json" if fmt is ExportFormat.JSON else "md"

        def write(path: str) -> None:
            params = ExportParams(session_id=self.session_id, format=fmt, path=path)
            self.app.bridge.call("chat.export", params, ExportResult, self._exported, self.error)

        title = (
            tr("Export the chat (JSON, every branch)")
            if fmt is ExportFormat.JSON
            else tr("Share the chat as Markdown")
        )
        dialog = SaveDialog(title=title, filename=export_name(self.session_title, extension), on_save=write)
        dialog.open()
        return dialog

    def _exported(self, result: ExportResult) -> None:
        self.panel_note = tr("Saved {path}").format(path=result.path)
        self.app.notify(tr("Saved {path}").format(path=result.path))

    def share_message(self, message_id: str) -> SaveDialog | None:
        """One answer, as a Markdown file."""
        message = next((m for m in self.messages if m.id == message_id), None)
        if message is None:
            return None

        def write(path: str) -> None:
            try:
                Path(path).expanduser().write_text(message.content.rstrip() + "\n", encoding="utf-8")
            except OSError as exc:
                self.app.notify(tr("Could not write {path}: {reason}").format(path=path, reason=exc.strerror))
                return
            self.app.notify(tr("Saved {path}").format(path=path))

        dialog = SaveDialog(
            title=tr("Share this answer as Markdown"),
            filename=export_name(f"{self.session_title} answer", "md"),
            on_save=write,
        )
        dialog.open()
        return dialog

    def import_chat(self) -> FileDialog:
        dialog = FileDialog(
            title=tr("Import a chat (JSON exported by llamadesk)"),
            filters=["*.json"],
            action=tr("Import"),
            on_pick=lambda path: self.app.bridge.call(
                "chat.import", ImportParams(path=path), ChatSession, self._imported, self.error
            ),
        )
        dialog.open()
        return dialog

    def _imported(self, session: ChatSession) -> None:
        self.app.notify(tr("Imported “{title}”").format(title=session.title))
        self.sessions.refresh()  # the sidebar lists it (found by the export journey)
        self.open_session(session.id)

    # ---- rating -----------------------------------------------------------------------
    def rate(self, message_id: str, rating: str) -> None:
        """Like or dislike an answer; pressing the same again takes it back."""
        message = next((m for m in self.messages if m.id == message_id), None)
        if message is None or not self.session_id:
            return
        chosen = None if message.rating == rating else rating
        params = RateParams(session_id=self.session_id, message_id=message_id, rating=chosen)
        self.app.bridge.call("chat.rate", params, ChatMessage, self._rated, self.error)

    def _rated(self, rated: ChatMessage) -> None:
        self.messages = [rated if m.id == rated.id else m for m in self.messages]
        rv = self.ids.messages
        for index, row in enumerate(rv.data):
            if row.get("viewclass") == ACTION_BAR and row.get("message_id") == rated.id:
                rv.data[index] = {**row, "rating": rated.rating or ""}

    def toggle_details(self, index: int, on: bool | None = None) -> None:
        """Show a message's time and token counts (hover, or a long press)."""
        rv = self.ids.messages
        if 0 <= index < len(rv.data) and rv.data[index].get("viewclass") == ACTION_BAR:
            row = rv.data[index]
            shown = not row.get("show_details") if on is None else on
            if shown != row.get("show_details"):
                rv.data[index] = {**row, "show_details": shown}
