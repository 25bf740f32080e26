# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""Modal dialogs: a text prompt, a confirmation, load options, a GGUF file chooser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView
from pydantic import ValidationError

from llamadesk.core.models.llama import LoadOptions


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
    """Context size, GPU layers and threads for runtime.load, over the load settings."""

    model = StringProperty("")
    defaults = ObjectProperty(LoadOptions())
    on_load: Callable[[LoadOptions], None] | None = None

    FIELDS = ("context_size", "gpu_layers", "threads")

    def submit(self) -> None:
        typed: dict[str, Any] = {key: self.ids[key].text.strip() or None for key in self.FIELDS}
        for key in self.FIELDS:
            self.ids[key].error = ""
        try:
            options = LoadOptions.model_validate({**self.defaults.model_dump(), **typed})
        except ValidationError as exc:
            for error in exc.errors():
                key = str(error["loc"][0]) if error["loc"] else ""
                if key in self.ids:
                    self.ids[key].error = error["msg"]
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
