"""The chat list in the sidebar: chat.list, chat.search (as you type), rename, pin, delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..viewmodels.records import items
from ..widgets.dialogs import ConfirmDialog, TextDialog

if TYPE_CHECKING:
    from .chat import ChatScreen


class ChatSessions:
    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self.sessions: list[dict[str, Any]] = []
        self.query = ""
        # Lists and searches run on the worker pool and may answer out of order: a chat.list
        # asked before the user typed must not replace the search's hits. Only the answer to
        # the latest request is shown.
        self._asked = 0

    @property
    def bridge(self) -> Any:
        return self.screen.app.bridge

    def refresh(self) -> None:
        if self.query:
            self.search(self.query)
        elif self.bridge.has("chat.list"):
            self.bridge.call("chat.list", {"limit": 200}, self._latest(self._show_list), self.screen.error)

    def _latest(self, show: Callable[[Any], None]) -> Callable[[Any], None]:
        """`show`, for the request about to be made; dropped once a later one is made."""
        self._asked += 1
        asked = self._asked

        def answer(result: Any) -> None:
            if asked == self._asked:
                show(result)

        return answer

    def _show_list(self, result: Any) -> None:
        sessions = items(result.model_dump(mode="json"), "sessions")
        pinned = [s for s in sessions if s.get("pinned")]
        rest = [s for s in sessions if not s.get("pinned")]
        rest.sort(key=lambda s: str(s.get("updated_at", "")), reverse=True)
        self.show([*pinned, *rest])

    def search(self, query: str) -> None:
        self.query = query.strip()
        if not self.query:
            self.refresh()
        elif self.bridge.has("chat.search"):
            params = {"text": self.query, "mode": "prefix", "limit": 50}
            self.bridge.call("chat.search", params, self._latest(self._show_hits), self.screen.error)

    def _show_hits(self, result: Any) -> None:
        seen: dict[str, dict[str, Any]] = {}
        for hit in items(result.model_dump(mode="json"), "hits"):
            sid = str(hit.get("session_id", ""))
            if sid and sid not in seen:
                seen[sid] = {"id": sid, "title": hit.get("session_title") or "Chat"}
        self.show(list(seen.values()))

    def show(self, sessions: list[dict[str, Any]]) -> None:
        self.sessions = sessions
        current = self.screen.session_id
        self.screen.app.shell.ids.sidebar.sessions = [
            {
                "text": ("* " if s.get("pinned") else "") + str(s.get("title") or "New chat"),
                "session_id": str(s["id"]),
                "pinned": bool(s.get("pinned")),
                "selected": str(s["id"]) == current,
                "controller": self.screen,
            }
            for s in sessions
        ]

    def current(self) -> dict[str, Any]:
        return next((s for s in self.sessions if s.get("id") == self.screen.session_id), {})

    def rename(self) -> None:
        screen = self.screen
        if not screen.session_id:
            return
        sid = screen.session_id

        def submit(title: str) -> None:
            if title.strip():
                self.bridge.call(
                    "chat.rename", {"session_id": sid, "title": title.strip()}, self._renamed, screen.error
                )

        TextDialog(title="Rename chat", text=screen.session_title, on_submit=submit).open()

    def _renamed(self, result: Any) -> None:
        self.screen.session_title = result.model_dump()["title"]
        self.refresh()

    def toggle_pin(self) -> None:
        sid = self.screen.session_id
        if sid:
            pinned = not self.current().get("pinned", False)
            params = {"session_id": sid, "pinned": pinned}
            self.bridge.call("chat.update", params, lambda _r: self.refresh(), self.screen.error)

    def delete(self) -> None:
        screen = self.screen
        if not screen.session_id:
            return
        sid = screen.session_id

        def confirmed() -> None:
            self.bridge.call("chat.delete", {"session_id": sid}, self._deleted, screen.error)

        ConfirmDialog(
            title="Delete chat",
            text=f"Delete “{screen.session_title}” and all its messages?",
            confirm="Delete",
            on_confirm=confirmed,
        ).open()

    def _deleted(self, _result: Any) -> None:
        self.screen.new_chat()
        self.refresh()
