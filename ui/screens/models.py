"""Models: the library with sizes and fit, models backends serve from elsewhere, load with
options, unload, delete, import (a file, or in place from another app's folder), disk usage;
and a detail view per model with its memory estimate and its own load options."""

from __future__ import annotations

from typing import Any

import psutil
from kivy.properties import ListProperty, StringProperty

from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.library import (
    DiskUsage,
    ImportModelParams,
    ImportResult,
    ListParams,
    ModelDetails,
    ModelList,
    ReferenceParams,
    RemoveResult,
)
from llamadesk.core.models.llama import (
    LoadOptions,
    LoadParams,
    ModelParams,
    ModelStatus,
    RuntimeStatus,
    UnloadResult,
)
from llamadesk.core.models.settings import ConfigGetParams, ConfigResult, ConfigSetParams, ConfigValue

from ..catalogs import error_text, tr
from ..viewmodels.formatting import human_bytes
from ..viewmodels.library import model_row, remote_row
from ..viewmodels.metrics_history import MetricsHistory
from ..viewmodels.model_details import importable_row
from ..viewmodels.status import loaded_states
from ..widgets.dialogs import ConfirmDialog, FileDialog, LoadDialog
from .base import AppScreen
from .model_details import ModelDetailsDialog


class ModelsScreen(AppScreen):
    rows = ListProperty()
    disk_text = StringProperty("")
    note = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._listing = ModelList(models=[])
        self._loaded: dict[str, str] = {}

    def on_app_start(self) -> None:
        self.refresh()

    def on_shown(self) -> None:
        self.refresh()
        self.ids.monitor.history = self.app.metrics
        self.ids.monitor.update()

    def on_library_changed(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        bridge = self.app.bridge
        if bridge.has("models.list"):
            # discover: GGUFs other apps keep (Hugging Face cache, LM Studio), to import in place
            bridge.call("models.list", ListParams(discover=True), ModelList, self._show, self._error)
        else:
            self.note = tr("The model library is not available (models.list missing).")
        if bridge.has("models.disk_usage"):
            bridge.call("models.disk_usage", Empty(), DiskUsage, self._show_disk, self._error)

    def _show(self, listing: ModelList) -> None:
        self._listing = listing
        self._render()

    def _render(self) -> None:
        available = psutil.virtual_memory().available
        rows = [model_row(m, available, self._loaded) for m in self._listing.models]
        rows += [remote_row(m, self._loaded) for m in self._listing.remote]
        self.note = "" if rows else tr("No models yet. Find one under Discover, or import a GGUF file.")
        rows = [{**row, "viewclass": "ModelRow"} for row in rows]
        others = [importable_row(m) for m in self._listing.importable if not m.imported]
        if others:
            rows.append(
                {
                    "viewclass": "SectionRow",
                    "text": tr("From other apps: use them in place, nothing is copied"),
                }
            )
            rows += others
        self.rows = [{**row, "screen": self} for row in rows]

    def _show_disk(self, usage: DiskUsage) -> None:
        used = usage.blob_bytes + usage.in_place_bytes
        free = tr(" · {size} free").format(size=human_bytes(usage.free_bytes)) if usage.free_bytes else ""
        self.disk_text = tr("Models use {size}").format(size=human_bytes(used)) + free

    def on_metrics(self, history: MetricsHistory) -> None:
        monitor = self.ids.monitor
        monitor.history = history
        if self.manager is not None and self.manager.current == self.name:
            monitor.update()

    def on_runtime_status(self, status: RuntimeStatus) -> None:
        loaded = loaded_states(status)
        if loaded != self._loaded:
            self._loaded = loaded
            self._render()

    def load_options(self, name: str) -> tuple[LoadOptions, bool]:
        """The options `name` loads with when nobody says (its own, else the defaults), and
        whether they are its own. Raises CommandError."""
        entries = self.app.bridge.invoke("config.get", ConfigGetParams(key="model_load"), ConfigValue).value
        own = next((e["options"] for e in entries or [] if e.get("model") == name), None)
        if own is not None:
            return LoadOptions.model_validate(own), True
        configured = self.app.bridge.invoke("config.get", ConfigGetParams(key="load"), ConfigValue)
        return LoadOptions.model_validate(configured.value), False

    def load(self, name: str) -> None:
        try:
            defaults, _own = self.load_options(name)
        except CommandError as error:
            self._error(error)
            return
        dialog = LoadDialog(model=name, defaults=defaults)
        dialog.on_load = lambda options: self._load(name, options)
        dialog.open()

    def _load(self, name: str, options: LoadOptions) -> None:
        self._loaded[name] = "loading"
        self._render()
        self.app.bridge.stream(
            "runtime.load",
            LoadParams(model=name, options=options),
            ModelStatus,
            None,
            lambda _r: self.app.refresh_status(),
            self._error,
        )

    def unload(self, name: str) -> None:
        self.app.bridge.call(
            "runtime.unload",
            ModelParams(model=name),
            UnloadResult,
            lambda _r: self.app.refresh_status(),
            self._error,
        )

    def delete(self, name: str) -> None:
        ConfirmDialog(
            title=tr("Delete model"),
            text=tr("Delete {name} from disk? Blobs shared with other models are kept.").format(name=name),
            confirm=tr("Delete"),
            on_confirm=lambda: self.app.bridge.call(
                "models.rm", ReferenceParams(reference=name), RemoveResult, self._removed, self._error
            ),
        ).open()

    def _removed(self, _result: RemoveResult) -> None:
        self.app.library_changed()

    def import_file(self) -> None:
        FileDialog(on_pick=self._import).open()

    def _import(self, path: str) -> None:
        self.note = tr("Importing {path}…").format(path=path)
        self.app.bridge.stream(
            "models.import",
            ImportModelParams(path=path),
            ImportResult,
            None,
            lambda _r: self.app.library_changed(),
            self._error,
        )

    # ---- details and the model's own load options -------------------------------------
    def show_details(self, name: str) -> ModelDetailsDialog:
        dialog = ModelDetailsDialog(model=name, on_save=lambda options: self.save_options(name, options))
        dialog.open()
        try:
            options, own = self.load_options(name)
            dialog.show_options(options, own)
        except CommandError as error:
            dialog.note = error_text(error)
        if self.app.bridge.has("models.show") and not name.startswith("@"):
            self.app.bridge.call(
                "models.show",
                ReferenceParams(reference=name),
                ModelDetails,
                dialog.show_details,
                dialog.failed,
            )
        else:
            dialog.failed_text(tr("A model served from elsewhere: nothing on this machine to show."))
        return dialog

    def save_options(self, name: str, options: LoadOptions | None) -> None:
        """Keep (or with None forget) `name`'s own load options: the runtime uses them whenever
        it loads the model without options (the chat, the API, `llamadesk run`)."""
        try:
            current = self.app.bridge.invoke(
                "config.get", ConfigGetParams(key="model_load"), ConfigValue
            ).value
        except CommandError as error:
            self._error(error)
            return
        # A list, replaced whole: see AppConfig.model_load.
        changed = [e for e in current or [] if e.get("model") != name]
        if options is not None:
            changed.append({"model": name, "options": options.model_dump(mode="json")})
        self.app.bridge.call(
            "config.set",
            ConfigSetParams(values={"model_load": changed}),
            ConfigResult,
            lambda _r: self._options_saved(name, options),
            self._error,
        )

    def _options_saved(self, name: str, options: LoadOptions | None) -> None:
        self.note = (
            tr("{name} loads with its own options from now on.").format(name=name)
            if options is not None
            else tr("{name} loads with the default options again.").format(name=name)
        )

    # ---- import from other apps ----------------------------------------------------------
    def import_in_place(self, path: str, name: str) -> None:
        self.note = tr("Importing {name} in place…").format(name=name)
        self.app.bridge.stream(
            "models.import",
            ImportModelParams(path=path, name=name or None, in_place=True),
            ImportResult,
            None,
            lambda result: self._imported(result),
            self._error,
        )

    def _imported(self, result: ImportResult) -> None:
        self.note = tr("Imported {name}.").format(name=result.reference)
        self.app.library_changed()

    def _error(self, error: CommandError) -> None:
        self.note = error_text(error)
        self.app.notify(error_text(error))
