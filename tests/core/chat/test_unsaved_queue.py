"""The queue of messages the store refused: order kept, updates in place, nothing lost on close."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from llamadesk.core.errors import InsufficientSpace
from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import ChatMessage
from llamadesk.core.services.chat_unsaved import UnsavedQueue


def message(id_: str, content: str = "", parent: str | None = None) -> ChatMessage:
    return ChatMessage(
        id=id_,
        session_id="s",
        parent_id=parent,
        role=Role.ASSISTANT,
        content=content,
        created_at=datetime.now(UTC),
    )


class FlakyStore:
    def __init__(self) -> None:
        self.full = True
        self.saved: list[tuple[str, str, bool]] = []

    def save(self, msg: ChatMessage, make_active: bool) -> None:
        if self.full:
            raise InsufficientSpace("the disk holding the chat history is full")
        self.saved.append((msg.id, msg.content, make_active))


def test_refused_messages_wait_in_order_and_updates_keep_their_place() -> None:
    store = FlakyStore()
    queue = UnsavedQueue(store.save, retry_every_s=60)
    assert not queue.save(message("a", "1"), make_active=True)
    assert not queue.save(message("b", "x", parent="a"))
    assert not queue.save(message("a", "12"))  # a newer text of the first: replaces it in place
    snapshot = queue.snapshot()
    assert [(m.id, m.content) for m in snapshot.messages] == [("a", "12"), ("b", "x")]
    assert snapshot.reason and "is full" in snapshot.reason
    store.full = False
    assert queue.save(message("c", "y", parent="b"))  # goes behind what waits, then all are saved
    assert store.saved == [("a", "12", True), ("b", "x", False), ("c", "y", False)]
    assert queue.snapshot().messages == [] and queue.snapshot().reason is None
    queue.close()


def test_what_is_still_unsaved_at_close_goes_to_a_file() -> None:
    store = FlakyStore()
    queue = UnsavedQueue(store.save, retry_every_s=60)
    queue.save(message("a", "keep me"))
    path = queue.close()
    assert path is not None
    try:
        assert json.loads(path.read_text())["messages"][0]["content"] == "keep me"
    finally:
        path.unlink()
