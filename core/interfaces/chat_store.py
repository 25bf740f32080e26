"""What a chat store provides: sessions, message trees, full-text search and user presets.

The chat service is the only caller. A store may be used from several threads
at once (commands run on a worker pool, streaming answers are saved from a
writer thread) and by several processes sharing one database (the UI and the
CLI): every method is a complete transaction and must be safe under both.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..models.chat_history import (
    ChatMessage,
    ChatPreset,
    ChatSession,
    SearchPage,
    SearchQuery,
    SessionPage,
)


@runtime_checkable
class ChatStore(Protocol):
    """Keeps chat sessions and their message trees."""

    @property
    def notices(self) -> list[str]:
        """Things the user should be told once, e.g. a corrupt database that was moved aside."""
        ...

    # Sessions
    def save_session(self, session: ChatSession) -> None:
        """Insert the session, or replace every field of the one with its id."""

    def get_session(self, session_id: str) -> ChatSession | None: ...

    def list_sessions(self, *, offset: int, limit: int, include_archived: bool) -> SessionPage:
        """Pinned first, then newest `updated_at` first."""
        ...

    def delete_session(self, session_id: str) -> bool:
        """Delete a session and all its messages; False if there was none."""
        ...

    # Messages
    def save_message(self, message: ChatMessage, *, make_active: bool = False) -> None:
        """Insert the message, or update the one with its id (content grows while streaming).

        `make_active` also makes it the session's active leaf; either way the
        session's `updated_at` moves to now.
        """

    def get_message(self, message_id: str) -> ChatMessage | None: ...

    def get_branch(self, leaf_id: str) -> list[ChatMessage]:
        """The messages from the root down to `leaf_id`, root first."""
        ...

    def get_active_branch(
        self, session_id: str, leaf_id: str, limit: int | None = None
    ) -> tuple[list[ChatMessage], dict[str, list[str]], int]:
        """The branch from the root down to `leaf_id` (only its last `limit` messages if given),
        the sibling ids (oldest first) of each of those messages that has siblings, and the
        number of messages on the whole branch.

        What `chat.get` shows; must stay fast for sessions of thousands of messages.
        """
        ...

    def get_tree(self, session_id: str) -> list[ChatMessage]:
        """Every message of a session, parents before children, oldest first."""
        ...

    def newest_leaf(self, message_id: str) -> str:
        """Follow the newest child from `message_id` down to a leaf."""
        ...

    def set_active_leaf(self, session_id: str, leaf_id: str) -> None: ...

    def import_session(self, session: ChatSession, messages: list[ChatMessage]) -> None:
        """Write a session and its whole tree in one transaction."""

    # Search
    def search(self, query: SearchQuery) -> SearchPage:
        """Ranked full-text search over every message's content."""
        ...

    # Presets the user saved (the built-in ones live in the chat service)
    def list_presets(self) -> list[ChatPreset]: ...

    def save_preset(self, preset: ChatPreset) -> None: ...

    def delete_preset(self, name: str) -> bool: ...

    def close(self) -> None: ...
