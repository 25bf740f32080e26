"""The chat list in the sidebar: chat.list, chat.search (as you type), rename, pin, delete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from llamadesk.core.models.chat_history import ChatSession, SearchMode, SearchPage, SearchQuery, SessionPage
from llamadesk.core.models.chat_params import ListChatsParams, RenameParams, SessionParams, UpdateChatParams
from llamadesk.core.models.commands import Empty

from ..catalogs import tr
from ..widgets.dialogs import ConfirmDialog, TextDialog

if TYPE_CHECKING:
    from ..bridge import CommandBridge
    from .chat import ChatScreen

R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class SidebarChat:
    """A chat as the sidebar lists it: from chat.list, or from a search hit."""

    id: str
    title: str
    pinned: bool = False

    @classmethod
    def of(cls, session: ChatSession) -> SidebarChat:
        return cls(session.id, session.title, session.pinned)


class ChatSessions:
    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self.sessions: list[SidebarChat] = []
        self.query = ""
        # Lists and searches run on the worker pool and may answer out of order: a chat.list
        # asked before the user typed must not replace the search's hits. Only the answer to
        # the latest request is shown.
        self._asked = 0

    @property
    def bridge(self) -> CommandBridge:
        return self.screen.app.bridge

    def refresh(self) -> None:
        if self.query:
            self.search(self.query)
        elif self.bridge.has("chat.list"):
            self.bridge.call(
                "chat.list",
                ListChatsParams(limit=200),
                SessionPage,
                self._latest(self._show_list),
                self.screen.error,
            )

    def _latest(self, show: Callable[[R], None]) -> Callable[[R], None]:
        """`show`, for the request about to be made; dropped once a later one is made."""
        self._asked += 1
        asked = self._asked

        def answer(result: R) -> None:
            if asked == self._asked:
                show(result)

        return answer

    def _show_list(self, page: SessionPage) -> None:
        pinned = [s for s in page.sessions if s.pinned]
        rest = sorted((s for s in page.sessions if not s.pinned), key=lambda s: s.updated_at, reverse=True)
        self.show([SidebarChat.of(s) for s in (*pinned, *rest)])

    def search(self, query: str) -> None:
        self.query = query.strip()
        if not self.query:
            self.refresh()
        elif self.bridge.has("chat.search"):
            params = SearchQuery(text=self.query, mode=SearchMode.PREFIX, limit=50)
            self.bridge.call(
                "chat.search", params, SearchPage, self._latest(self._show_hits), self.screen.error
            )

    def _show_hits(self, page: SearchPage) -> None:
        seen: dict[str, SidebarChat] = {}
        for hit in page.hits:
            if hit.session_id not in seen:
                seen[hit.session_id] = SidebarChat(hit.session_id, hit.session_title or tr("Chat"))
        self.show(list(seen.values()))

    def show(self, sessions: list[SidebarChat]) -> None:
        self.sessions = sessions
        current = self.screen.session_id
        shell = self.screen.app.shell
        if shell is None:
            return
        shell.ids.sidebar.sessions = [
            {
                "text": ("* " if s.pinned else "") + (s.title or tr("New chat")),
                "session_id": s.id,
                "pinned": s.pinned,
                "selected": s.id == current,
                "controller": self.screen,
            }
            for s in sessions
        ]

    def current(self) -> SidebarChat | None:
        return next((s for s in self.sessions if s.id == self.screen.session_id), None)

    def rename(self) -> None:
        screen = self.screen
        if not screen.session_id:
            return
        sid = screen.session_id

        def submit(title: str) -> None:
            if title.strip():
                params = RenameParams(session_id=sid, title=title.strip())
                self.bridge.call("chat.rename", params, ChatSession, self._renamed, screen.error)

        TextDialog(title=tr("Rename chat"), text=screen.session_title, on_submit=submit).open()

    def _renamed(self, session: ChatSession) -> None:
        self.screen.show_title(session.title)
        self.refresh()

    def toggle_pin(self) -> None:
        sid = self.screen.session_id
        if sid:
            shown = self.current()
            params = UpdateChatParams(session_id=sid, pinned=not (shown is not None and shown.pinned))
            self.bridge.call("chat.update", params, ChatSession, lambda _r: self.refresh(), self.screen.error)

    def delete(self) -> None:
        screen = self.screen
        if not screen.session_id:
            return
        sid = screen.session_id

        def confirmed() -> None:
            self.bridge.call("chat.delete", SessionParams(session_id=sid), Empty, self._deleted, screen.error)

        ConfirmDialog(
            title=tr("Delete chat"),
            text=tr("Delete “{title}” and all its messages?").format(title=screen.session_title),
            confirm=tr("Delete"),
            on_confirm=confirmed,
        ).open()

    def _deleted(self, _result: Empty) -> None:
        self.screen.new_chat()
        self.refresh()
