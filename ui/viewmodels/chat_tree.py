"""A chat's messages as a tree: the visible path, and `< 2/3 >` branch navigation.

Editing a user message or regenerating an answer adds a sibling under the same
parent; the visible conversation is one path from the root to a leaf.
"""

from __future__ import annotations

from collections import defaultdict

from llamadesk.core.models.chat import ChatMessage


class ChatTree:
    def __init__(self, messages: list[ChatMessage], leaf_id: str | None = None) -> None:
        self.by_id = {m.id: m for m in messages}
        self._children: dict[str | None, list[ChatMessage]] = defaultdict(list)
        for message in sorted(messages, key=lambda m: m.created_at):
            self._children[message.parent_id].append(message)
        self.leaf_id = leaf_id if leaf_id in self.by_id else self._latest_leaf(None)

    def children(self, parent_id: str | None) -> list[ChatMessage]:
        return self._children.get(parent_id, [])

    def _latest_leaf(self, start: str | None) -> str | None:
        """Follow the newest child from `start` down to a leaf."""
        current = start
        while self._children.get(current):
            current = self._children[current][-1].id
        return current

    def path(self) -> list[ChatMessage]:
        """Root to the current leaf."""
        out: list[ChatMessage] = []
        current = self.leaf_id
        while current is not None and current in self.by_id:
            message = self.by_id[current]
            out.append(message)
            current = message.parent_id
        out.reverse()
        return out

    def siblings(self, message_id: str) -> tuple[int, int]:
        """(1-based position, count) of a message among its parent's children."""
        message = self.by_id[message_id]
        group = self._children[message.parent_id]
        return next(i for i, m in enumerate(group) if m.id == message_id) + 1, len(group)

    def switch(self, message_id: str, delta: int) -> str | None:
        """Show the sibling `delta` steps away; returns the new leaf id (None if no such sibling)."""
        message = self.by_id[message_id]
        group = self._children[message.parent_id]
        index = next(i for i, m in enumerate(group) if m.id == message_id) + delta
        if not 0 <= index < len(group):
            return None
        self.leaf_id = self._latest_leaf(group[index].id)
        return self.leaf_id
