"""Models: the library with sizes and fit, load with options, unload, delete, import, disk usage."""

from __future__ import annotations

from typing import Any

import psutil
from kivy.properties import ListProperty, StringProperty

from llamadesk.core.commands import CommandError

from ..viewmodels.formatting import human_bytes
from ..viewmodels.library import model_row, remote_entry
from ..viewmodels.records import items
from ..viewmodels.status import loaded_models, model_name
from ..widgets.dialogs import ConfirmDialog, FileDialog, LoadDialog
from .base import AppScreen


class ModelsScreen(AppScreen):
    rows = ListProperty()
    disk_text = StringProperty("")
    note = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._models: list[dict[str, Any]] = []
        self._loaded: dict[str, str] = {}

    def on_app_start(self) -> None:
        self.refresh()

    def on_shown(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        bridge = self.app.bridge
        if bridge.has("models.list"):
            bridge.call("models.list", {"discover": False}, self._show, self._error)
        else:
            self.note = "The model library is not available (models.list missing)."
        if bridge.has("models.disk_usage"):
            bridge.call("models.disk_usage", {}, self._show_disk, self._error)

    def _show(self, result: Any) -> None:
        listing = result.model_dump(mode="json")
        self._models = items(listing, "models", "items") + [remote_entry(m) for m in items(listing, "remote")]
        self._render()

    def _render(self) -> None:
        available = psutil.virtual_memory().available
        self.rows = [{**model_row(m, available, self._loaded), "screen": self} for m in self._models]
        self.note = "" if self._models else "No models yet. Find one under Discover, or import a GGUF file."

    def _show_disk(self, result: Any) -> None:
        data = result.model_dump(mode="json")
        used = (data.get("blob_bytes") or 0) + (data.get("in_place_bytes") or 0)
        free = data.get("free_bytes")
        self.disk_text = f"Models use {human_bytes(used)}" + (f" · {human_bytes(free)} free" if free else "")

    def on_runtime_status(self, status: dict[str, Any]) -> None:
        loaded = {model_name(m): str(m.get("state", "")) for m in loaded_models(status)}
        if loaded != self._loaded:
            self._loaded = loaded
            self._render()

    def load(self, name: str) -> None:
        config = self.app.bridge.invoke("config.get", {"key": "load"}).model_dump(mode="json")["value"]
        dialog = LoadDialog(
            model=name,
            context_size=str(config.get("context_size", 4096)),
            gpu_layers=str(config.get("gpu_layers", -1)),
            threads=str(config.get("threads") or ""),
        )
        dialog.on_load = lambda options: self._load(name, options)
        dialog.open()

    def _load(self, name: str, options: dict[str, Any]) -> None:
        self._loaded[name] = "loading"
        self._render()
        self.app.bridge.stream(
            "runtime.load",
            {"model": name, "options": options},
            None,
            lambda _r: self.app.refresh_status(),
            self._error,
        )

    def unload(self, name: str) -> None:
        self.app.bridge.call(
            "runtime.unload", {"model": name}, lambda _r: self.app.refresh_status(), self._error
        )

    def delete(self, name: str) -> None:
        ConfirmDialog(
            title="Delete model",
            text=f"Delete {name} from disk? Blobs shared with other models are kept.",
            confirm="Delete",
            on_confirm=lambda: self.app.bridge.call(
                "models.rm", {"name": name}, lambda _r: self.refresh(), self._error
            ),
        ).open()

    def import_file(self) -> None:
        FileDialog(on_pick=self._import).open()

    def _import(self, path: str) -> None:
        self.note = f"Importing {path}…"
        self.app.bridge.stream("models.import", {"path": path}, None, lambda _r: self.refresh(), self._error)

    def _error(self, error: CommandError) -> None:
        self.note = error.message
        self.app.notify(error.message)
