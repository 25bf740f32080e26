# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""Documents in the message list and the composer: attachment chips, the sources under an
answer, and the popup showing a source's passage.

Rows are recycled views: they rebuild their few children when their data changes, as
every other row keeps only what its data says.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from .common import make
from .message_views import RowBase


class DocumentChip(BoxLayout):
    """A file's name and what was read of it; `removable` above the input, `problem` in red."""

    text = StringProperty("")
    problem = BooleanProperty(False)
    removable = BooleanProperty(False)
    on_remove = ObjectProperty(None, allownone=True)  # () -> None


class AttachmentsRow(RowBase, BoxLayout):
    """A sent message's files, one chip a line: name, pages (or size), tokens used."""

    chips = ListProperty()

    def on_chips(self, _row: Any, chips: list[str]) -> None:
        box = self.ids.chips
        box.clear_widgets()
        for text in chips:
            box.add_widget(DocumentChip(text=text))


class SourcesRow(RowBase, BoxLayout):
    """An answer's numbered sources; tapping one opens its passage."""

    labels = ListProperty()

    def on_labels(self, _row: Any, labels: list[str]) -> None:
        box = self.ids.sources
        box.clear_widgets()
        for number, text in enumerate(labels):
            button = make("SourceButton", text=text)
            button.bind(on_release=lambda _b, number=number: self.open(number))
            box.add_widget(button)

    def open(self, position: int) -> None:
        if self.controller is not None:
            self.controller.open_source(self.message_id, position)


class PassagePopup(ModalView):
    """A source's passage: the file, where in it, and the text the model was given."""

    title = StringProperty("")
    where = StringProperty("")
    text = StringProperty("")
    path = StringProperty("")
