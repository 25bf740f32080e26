"""Modal dialogs: a text prompt, a confirmation, load options, a GGUF file chooser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView


class TextDialog(ModalView):
    title = StringProperty("")
    text = StringProperty("")
    multiline = BooleanProperty(False)
    on_submit = ObjectProperty(None)

    def submit(self) -> None:
        value = self.ids.field.text
        self.dismiss()
        if self.on_submit is not None:
            self.on_submit(value)


class ConfirmDialog(ModalView):
    title = StringProperty("")
    text = StringProperty("")
    confirm = StringProperty("OK")
    on_confirm = ObjectProperty(None)

    def accept(self) -> None:
        self.dismiss()
        if self.on_confirm is not None:
            self.on_confirm()


class LoadDialog(ModalView):
    """Context size, GPU layers and threads for runtime.load; defaults from settings."""

    model = StringProperty("")
    context_size = StringProperty("4096")
    gpu_layers = StringProperty("-1")
    threads = StringProperty("")
    on_load: Callable[[dict[str, Any]], None] | None = None

    def submit(self) -> None:
        options: dict[str, Any] = {}
        for key in ("context_size", "gpu_layers", "threads"):
            value = self.ids[key].text.strip()
            if value:
                try:
                    options[key] = int(value)
                except ValueError:
                    self.ids[key].error = "a whole number"
                    return
        self.dismiss()
        if self.on_load is not None:
            self.on_load(options)


class FileDialog(ModalView):
    """Pick a .gguf file to import."""

    on_pick = ObjectProperty(None)
    start_path = StringProperty(str(Path.home()))

    def pick(self, selection: list[str]) -> None:
        if not selection:
            return
        self.dismiss()
        if self.on_pick is not None:
            self.on_pick(selection[0])
