"""Chat turns as a model sees them, and the states a stored message can be in.

Sessions, stored messages, presets and search results are in `chat_history.py`:
they carry sampling and usage from `llama.py`, which itself imports `ChatTurn`
from here, so they cannot live in this module without an import cycle.
"""

from __future__ import annotations

from enum import StrEnum

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
    """A message is `partial` while it streams; one still partial after a restart was cut off."""

    COMPLETE = "complete"
    PARTIAL = "partial"
    ERROR = "error"
