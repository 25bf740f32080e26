"""Chat messages for the tests that show a transcript without a model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import ChatMessage


def message(message_id: str, role: str, content: str = "", **fields: Any) -> ChatMessage:
    """A stored message as chat.get returns it, in a session of its own."""
    return ChatMessage(
        id=message_id,
        session_id="test-session",
        role=Role(role),
        content=content,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        **fields,
    )
