"""Chat sessions and messages as the chat service and store exchange them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from .base import Record


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class ChatTurn(Record):
    """One message as sent to a model: the minimum a chat template needs."""

    role: Role
    content: str


class MessageState(StrEnum):
    COMPLETE = "complete"
    PARTIAL = "partial"
    ERROR = "error"


class ChatMessage(Record):
    """A message in a session's tree; `parent_id` links the branches."""

    id: str
    session_id: str
    parent_id: str | None = None
    role: Role
    content: str = ""
    reasoning: str = ""
    model: str | None = None
    state: MessageState = MessageState.COMPLETE
    created_at: datetime


class ChatSession(Record):
    id: str
    title: str = Field("New chat", description="Shown in the sidebar.")
    created_at: datetime
    updated_at: datetime
    model: str | None = None
    system_prompt: str = ""
    preset: str | None = None
    pinned: bool = False
    archived: bool = False
