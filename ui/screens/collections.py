# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""Collections: folders indexed for chats to search. Add one (a folder chooser, then a name),
see each one's state and a progress bar while it indexes, pause, resume, cancel, index again,
remove (the files stay as they are).

Everything goes through collections.*; while a collection indexes, collections.list is
asked again every POLL_S (a list of a few rows: cheaper than holding a stream per run).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from llamadesk.core.commands import CommandError
from llamadesk.core.models.collections import (
    AddCollectionParams,
    CollectionInfo,
    CollectionList,
    CollectionParams,
    IndexParams,
)
from llamadesk.core.models.commands import Empty

from ..catalogs import error_text, tr
from ..viewmodels.collections import any_running, collection_row
from ..widgets.dialogs import ConfirmDialog, TextDialog
from .base import AppScreen

POLL_S = 0.5


class CollectionCard(BoxLayout):
    """One collection: name, state, counts, a progress bar while indexing, its buttons."""

    screen = ObjectProperty(None, allownone=True)
    name = StringProperty("")
    folder = StringProperty("")
    state_text = StringProperty("")
    tone = StringProperty("muted")
    counts = StringProperty("")
    message = StringProperty("")
    progress = NumericProperty(0.0)
    running = BooleanProperty(False)
    paused = BooleanProperty(False)


class FolderDialog(ModalView):
    """Choose a folder: the one selected in the list, else the one shown."""

    start_path = StringProperty(str(Path.home()))

    def __init__(self, on_pick: Callable[[str], object], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.picked = on_pick

    def pick(self) -> None:
        chooser = self.ids.chooser
        selected = [p for p in chooser.selection if Path(p).is_dir()]
        self.dismiss()
        self.picked(selected[0] if selected else chooser.path)


def name_for(folder: str) -> str:
    """A collection name from a folder's name (letters, digits, space . - _; 64 at most)."""
    name = re.sub(r"[^\w .-]+", "-", Path(folder).name).strip(" .-")[:64]
    return name or "folder"


class CollectionsScreen(AppScreen):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cards: dict[str, CollectionCard] = {}
        self.infos: list[CollectionInfo] = []
        self._poll = Clock.schedule_interval(lambda _dt: self.refresh(), POLL_S)
        self._poll.cancel()

    def on_app_start(self) -> None:
        self.refresh()

    def on_shown(self) -> None:
        self.refresh()

    def on_language_switch(self) -> None:
        self.refresh()  # states and counts are made in Python

    def refresh(self) -> None:
        if self.app.bridge.has("collections.list"):
            self.app.bridge.call("collections.list", Empty(), CollectionList, self.show, self.error)

    def show(self, listing: CollectionList) -> None:
        self.infos = listing.collections
        box = self.ids.cards
        names = [info.name for info in listing.collections]
        for name in [n for n in self.cards if n not in names]:
            box.remove_widget(self.cards.pop(name))
        for info in listing.collections:
            card = self.cards.get(info.name)
            if card is None:
                card = self.cards[info.name] = CollectionCard(screen=self)
                box.add_widget(card)
            for key, value in collection_row(info).items():
                setattr(card, key, value)
        self.ids.empty.opacity = 0 if listing.collections else 1
        embedding = listing.embedding_model or tr("none: keywords only")
        self.ids.embedding.text = tr("Embedding model: {model}").format(model=embedding)
        if any_running(listing.collections):
            self._poll()
        else:
            self._poll.cancel()

    # ---- actions ----------------------------------------------------------------------
    def add_folder(self) -> FolderDialog:
        dialog = FolderDialog(on_pick=self.name_folder)
        dialog.open()
        return dialog

    def name_folder(self, folder: str) -> TextDialog:
        dialog = TextDialog(
            title=tr("Name the collection"),
            text=name_for(folder),
            on_submit=lambda name: self.add_collection(folder, name.strip()),
        )
        dialog.open()
        return dialog

    def add_collection(self, folder: str, name: str) -> None:
        try:
            params = AddCollectionParams(name=name, folder=folder)
        except ValueError:
            self.app.notify(tr("A collection name is letters, digits, spaces, dots and dashes."))
            return
        self.app.bridge.call("collections.add", params, CollectionInfo, lambda _i: self.refresh(), self.error)

    def run(self, command: str, name: str) -> None:
        """pause, resume or cancel."""
        self.app.bridge.call(
            f"collections.{command}",
            CollectionParams(name=name),
            CollectionInfo,
            lambda _i: self.refresh(),
            self.error,
        )

    def reindex(self, name: str) -> None:
        params = IndexParams(name=name, full=True, wait=False)
        self.app.bridge.call(
            "collections.index", params, CollectionInfo, lambda _i: self.refresh(), self.error
        )

    def confirm_remove(self, name: str) -> ConfirmDialog:
        folder = self.cards[name].folder if name in self.cards else ""
        dialog = ConfirmDialog(
            title=tr("Remove {name}?").format(name=name),
            text=tr("Its index is deleted. The files in {folder} are not touched.").format(folder=folder),
            confirm=tr("Remove"),
            on_confirm=lambda: self.remove(name),
        )
        dialog.open()
        return dialog

    def remove(self, name: str) -> None:
        self.app.bridge.call(
            "collections.remove", CollectionParams(name=name), Empty, lambda _e: self.refresh(), self.error
        )

    def error(self, error: CommandError) -> None:
        self.app.notify(error_text(error))
