"""What a chat store provides. The chat issue grows this interface."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ChatStore(Protocol):
    """Keeps chat sessions and their message trees."""

    def close(self) -> None: ...
