# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""Modal dialogs: a text prompt, a confirmation, load options, a file chooser.

Their callbacks are plain attributes given to the constructor, never Kivy properties:
Kivy's Widget takes every `on_*` keyword for an event binding, so a property named
`on_submit` given as `TextDialog(on_submit=f)` stayed None and the dialog did nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView
from pydantic import ValidationError

from llamadesk.core.models.llama import LoadOptions

from ..catalogs import N_, tr


class TextDialog(ModalView):
    title = StringProperty("")
    text = StringProperty("")
    multiline = BooleanProperty(False)

    def __init__(self, on_submit: Callable[[str], object] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.submitted = on_submit

    def submit(self) -> None:
        value = self.ids.field.text
        self.dismiss()
        if self.submitted is not None:
            self.submitted(value)


class ConfirmDialog(ModalView):
    title = StringProperty("")
    text = StringProperty("")
    confirm = StringProperty(N_("OK"))

    def __init__(self, on_confirm: Callable[[], object] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.confirmed = on_confirm

    def accept(self) -> None:
        self.dismiss()
        if self.confirmed is not None:
            self.confirmed()


class LoadDialog(ModalView):
    """Context size, GPU layers and threads for runtime.load, over the load settings."""

    model = StringProperty("")
    defaults = ObjectProperty(LoadOptions())
    on_load: Callable[[LoadOptions], None] | None = None

    FIELDS = ("context_size", "gpu_layers", "threads")

    def submit(self) -> None:
        options = typed_load_options(self.ids, self.FIELDS, self.defaults)
        if options is None:
            return
        self.dismiss()
        if self.on_load is not None:
            self.on_load(options)


def typed_load_options(ids: Any, fields: tuple[str, ...], base: LoadOptions) -> LoadOptions | None:
    """Load options from text fields (`ids[key].text`, empty: None) over `base`; None when one
    does not validate, with the message on its field (`ids[key].error`)."""
    typed: dict[str, Any] = {key: ids[key].text.strip() or None for key in fields}
    for key in fields:
        ids[key].error = ""
    try:
        return LoadOptions.model_validate({**base.model_dump(), **typed})
    except ValidationError as exc:
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            if key in fields:
                ids[key].error = str(error["msg"])
        return None


class FileDialog(ModalView):
    """Pick a file: a .gguf to import unless told otherwise."""

    start_path = StringProperty(str(Path.home()))
    title = StringProperty(N_("Import a GGUF file"))
    filters = ListProperty(["*.gguf"])
    action = StringProperty(N_("Import"))

    def __init__(self, on_pick: Callable[[str], object] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.picked = on_pick

    def pick(self, selection: list[str]) -> None:
        if not selection:
            return
        self.dismiss()
        if self.picked is not None:
            self.picked(selection[0])


class SaveDialog(ModalView):
    """Pick a folder and a file name to save to."""

    title = StringProperty(N_("Save"))
    filename = StringProperty("chat.md")
    start_path = StringProperty(str(Path.home()))

    def __init__(self, on_save: Callable[[str], object] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.saved = on_save

    def save(self) -> None:
        name = self.ids.name.text.strip()
        if not name:
            self.ids.name.error = tr("a file name")
            return
        folder = self.ids.chooser.path
        self.dismiss()
        if self.saved is not None:
            self.saved(str(Path(folder) / name))
