# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""A model's detail view on the Models screen: what `llamadesk show` prints, the memory it
needs on this machine, and the load options it uses whenever it loads without options of its
own (`model_load` in the settings: the chat, the API and `llamadesk run` all use them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.modalview import ModalView

from llamadesk.core.commands import CommandError
from llamadesk.core.models.library import ModelDetails
from llamadesk.core.models.llama import LoadOptions

from ..catalogs import N_, error_text, tr
from ..viewmodels.model_details import detail_lines, memory_text
from ..widgets.common import make
from ..widgets.dialogs import typed_load_options

OPTION_FIELDS = ("context_size", "gpu_layers", "threads")


class ModelDetailsDialog(ModalView):
    model = StringProperty("")
    memory = StringProperty(N_("Reading its header…"))
    memory_fits = BooleanProperty(False)  # the estimate says it fits in the memory free now
    note = StringProperty("")
    own = BooleanProperty(False)  # it has options of its own

    def __init__(self, on_save: Callable[[LoadOptions | None], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.save_options = on_save
        self._options = LoadOptions()

    def show_details(self, details: ModelDetails) -> None:
        box = self.ids.lines
        box.clear_widgets()
        for label, value in detail_lines(details):
            box.add_widget(make("DetailLine", label=label, value=value))
        self.memory = memory_text(details.memory_estimate)
        estimate = details.memory_estimate
        self.memory_fits = bool(estimate and estimate.fits and estimate.available_bytes is not None)

    def failed(self, error: CommandError) -> None:
        self.failed_text(error_text(error))

    def failed_text(self, text: str) -> None:
        self.memory = ""
        self.note = text

    def show_options(self, options: LoadOptions, own: bool) -> None:
        self._options, self.own = options, own
        for key in OPTION_FIELDS:
            value = getattr(options, key)
            self.ids[key].text = "" if value is None else str(value)
            self.ids[key].error = ""

    def save(self) -> None:
        options = typed_load_options(self.ids, OPTION_FIELDS, self._options)
        if options is None:
            self.note = tr("Fix the field marked red.")
            return
        self.own = True
        self.note = tr(
            "Saved: it loads with these from now on (a loaded model keeps its options until reloaded)."
        )
        self.save_options(options)

    def forget(self) -> None:
        self.own = False
        self.note = tr("It loads with the default options again.")
        self.save_options(None)
