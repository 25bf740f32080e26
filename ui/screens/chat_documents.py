# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""The chat screen's documents: files attached to the next message (the attach button, files
dropped on the window, a path pasted into the input), the collections a chat searches, and
the passage behind a source of an answer.

An attached file is checked with documents.read on the worker pool (a large PDF takes a
while; the window must not wait for it): its chip says `reading…`, then its pages or size,
or in red why it has no text. Files with no text are not sent. A mixin of `ChatScreen`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.core.window import Window

from llamadesk.core.commands import CommandError
from llamadesk.core.models.chat_history import ChatMessage, ChatSession
from llamadesk.core.models.chat_params import SendParams, UpdateChatParams
from llamadesk.core.models.collections import CollectionList
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.documents import DocumentText, ReadDocumentParams

from ..catalogs import error_text, tr
from ..viewmodels.documents import READY, PendingFile, location_text, path_in_text, problem_text
from ..widgets.common import make
from ..widgets.dialogs import FileDialog
from ..widgets.document_views import DocumentChip, PassagePopup

if TYPE_CHECKING:
    from .base import AppScreen as _Screen
else:
    _Screen = object


class ChatDocuments(_Screen):
    """Pending attachments, the chat's collections, and opening a source's passage."""

    messages: list[ChatMessage]
    session_id: str
    pending_files: list[PendingFile]  # ChatScreen's ListProperty: the chips above the input
    chat_collections: list[str]  # ChatScreen's ListProperty: what chat.send searches
    collection_names: list[str]  # every collection, for the options panel
    path_offer: str
    error: Callable[[CommandError], None]

    def watch_drops(self) -> None:
        Window.bind(on_drop_file=self._dropped)

    def _dropped(self, _window: Any, path: bytes, *_xy: Any) -> None:
        """A file dragged onto the window (SDL gives its path as bytes): attached to the next
        message. A folder dropped on the Collections screen is offered as a collection there;
        anywhere else its chip says to add it as one."""
        dropped = path.decode("utf-8", "surrogateescape")
        shell = self.app.shell
        current = shell.ids.screens.current if shell is not None else "chat"
        if current == "collections" and Path(dropped).is_dir():
            self.app.screens["collections"].name_folder(dropped)
            return
        if current != "chat":
            self.app.show_screen("chat")
        self.attach(dropped)

    # ---- pending attachments ----------------------------------------------------------
    def open_attach_dialog(self) -> FileDialog:
        dialog = FileDialog(title=tr("Attach a file"), filters=[], action=tr("Attach"), on_pick=self.attach)
        dialog.open()
        return dialog

    def attach(self, path: str) -> None:
        if any(f.path == path for f in self.pending_files):
            return
        pending = PendingFile(path=path)
        self.pending_files = [*self.pending_files, pending]
        if Path(path).is_dir():
            problem = tr("a folder: add it as a collection instead")
            self._read_done(path, DocumentText(path=path, format="folder", problem=problem))
            return
        self.app.bridge.call(
            "documents.read",
            ReadDocumentParams(path=path),
            DocumentText,
            lambda document: self._read_done(path, document),
            lambda error: self._read_done(
                path, DocumentText(path=path, format="", problem=error_text(error))
            ),
        )

    def _read_done(self, path: str, document: DocumentText) -> None:
        self.pending_files = [
            f.read(document.pages, document.size_bytes, problem_text(document)) if f.path == path else f
            for f in self.pending_files
        ]

    def remove_attachment(self, path: str) -> None:
        self.pending_files = [f for f in self.pending_files if f.path != path]

    def on_pending_files(self, _screen: Any, files: list[PendingFile]) -> None:
        box = self.ids.pending_chips
        box.clear_widgets()
        for pending in files:
            chip = DocumentChip(text=pending.label(), problem=pending.state == "problem", removable=True)
            chip.on_remove = lambda path=pending.path: self.remove_attachment(path)
            box.add_widget(chip)

    def check_pasted_path(self) -> None:
        """The input holds only a path to a file (pasted, or dropped as text): offer to attach it."""
        self.path_offer = path_in_text(self.ids.composer.text) or ""

    def offer_pasted_path(self) -> bool:
        """Take the offered path (its button, or Enter): it becomes an attachment."""
        path = self.path_offer
        if not path:
            return False
        self.ids.composer.text = ""
        self.path_offer = ""
        self.attach(path)
        return True

    def with_documents(self, params: SendParams) -> SendParams:
        """chat.send's params with the files ready to go and the chat's collections; the chips
        are cleared (the sent message shows its own)."""
        files = [f.path for f in self.pending_files if f.state == READY]
        self.pending_files = []
        if not files and not self.chat_collections:
            return params
        return params.model_copy(update={"files": files, "collections": list(self.chat_collections)})

    def attachments_waiting(self) -> bool:
        """A file still being read: sending now would leave it out."""
        return any(f.state == "reading" for f in self.pending_files)

    # ---- collections ------------------------------------------------------------------
    def refresh_collection_names(self) -> None:
        if self.app.bridge.has("collections.list"):
            self.app.bridge.call("collections.list", Empty(), CollectionList, self._show_collection_names)

    def _show_collection_names(self, listing: CollectionList) -> None:
        self.collection_names = [c.name for c in listing.collections]
        self.chat_collections = [name for name in self.chat_collections if name in self.collection_names]
        self.show_collection_choices()  # also when nothing changed: the empty note the first time

    def use_collection(self, name: str, on: bool) -> None:
        """Tick or untick a collection: saved with the chat (one not started yet keeps it for
        its first message, as its tools)."""
        chosen = [n for n in self.chat_collections if n != name]
        chosen = [*chosen, name] if on else chosen
        if chosen == list(self.chat_collections):
            return  # the box was set to what the chat already has (shown again)
        self.chat_collections = chosen
        if self.session_id:
            params = UpdateChatParams(session_id=self.session_id, collections=chosen)
            self.app.bridge.call("chat.update", params, ChatSession, None, self.error)

    def show_collection_choices(self, *_: Any) -> None:
        """A check box per collection in the options panel, ticked for those this chat uses."""
        if "panel" not in self.ids:  # still being built
            return
        ids = self.ids.panel.ids
        ids.no_collections.text = (
            "" if self.collection_names else tr("None yet: add a folder in Collections.")
        )
        box = ids.collections
        box.clear_widgets()
        for name in self.collection_names:
            row = make("PanelCollectionRow", name=name, active=name in self.chat_collections)
            row.ids.check.bind(active=lambda _box, on, name=name: self.use_collection(name, on))
            box.add_widget(row)

    on_collection_names = on_chat_collections = show_collection_choices

    # ---- sources ----------------------------------------------------------------------
    def open_source(self, message_id: str, position: int) -> PassagePopup | None:
        """The passage behind an answer's source: it is kept with the answer, as the model saw it."""
        message = next((m for m in self.messages if m.id == message_id), None)
        if message is None or not 0 <= position < len(message.sources):
            return None
        source = message.sources[position]
        where = location_text(source)
        if source.collection:
            where = tr("{where} in the collection {name}").format(where=where or "-", name=source.collection)
        popup = PassagePopup(
            title=f"[{source.number}] {source.name}", where=where, text=source.text, path=source.path
        )
        popup.open()
        return popup
