"""Models: the library with sizes and fit, models backends serve from elsewhere, load with
options, unload, delete, import, disk usage."""

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
from llamadesk.core.models.settings import ConfigGetParams, ConfigValue

from ..viewmodels.formatting import human_bytes
from ..viewmodels.library import model_row, remote_row
from ..viewmodels.status import loaded_states
from ..widgets.dialogs import ConfirmDialog, FileDialog, LoadDialog
from .base import AppScreen


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

    def on_library_changed(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        bridge = self.app.bridge
        if bridge.has("models.list"):
            bridge.call("models.list", ListParams(discover=False), ModelList, self._show, self._error)
        else:
            self.note = "The model library is not available (models.list missing)."
        if bridge.has("models.disk_usage"):
            bridge.call("models.disk_usage", Empty(), DiskUsage, self._show_disk, self._error)

    def _show(self, listing: ModelList) -> None:
        self._listing = listing
        self._render()

    def _render(self) -> None:
        available = psutil.virtual_memory().available
        rows = [model_row(m, available, self._loaded) for m in self._listing.models]
        rows += [remote_row(m, self._loaded) for m in self._listing.remote]
        self.rows = [{**row, "screen": self} for row in rows]
        self.note = "" if rows else "No models yet. Find one under Discover, or import a GGUF file."

    def _show_disk(self, usage: DiskUsage) -> None:
        used = usage.blob_bytes + usage.in_place_bytes
        free = f" · {human_bytes(usage.free_bytes)} free" if usage.free_bytes else ""
        self.disk_text = f"Models use {human_bytes(used)}{free}"

    def on_runtime_status(self, status: RuntimeStatus) -> None:
        loaded = loaded_states(status)
        if loaded != self._loaded:
            self._loaded = loaded
            self._render()

    def load(self, name: str) -> None:
        try:
            configured = self.app.bridge.invoke("config.get", ConfigGetParams(key="load"), ConfigValue)
            defaults = LoadOptions.model_validate(configured.value)
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
            title="Delete model",
            text=f"Delete {name} from disk? Blobs shared with other models are kept.",
            confirm="Delete",
            on_confirm=lambda: self.app.bridge.call(
                "models.rm", ReferenceParams(reference=name), RemoveResult, self._removed, self._error
            ),
        ).open()

    def _removed(self, _result: RemoveResult) -> None:
        self.app.library_changed()

    def import_file(self) -> None:
        FileDialog(on_pick=self._import).open()

    def _import(self, path: str) -> None:
        self.note = f"Importing {path}…"
        self.app.bridge.stream(
            "models.import",
            ImportModelParams(path=path),
            ImportResult,
            None,
            lambda _r: self.app.library_changed(),
            self._error,
        )

    def _error(self, error: CommandError) -> None:
        self.note = error.message
        self.app.notify(error.message)
