"""Chat turns as a model sees them, and the states a stored message can be in.

Sessions, stored messages, presets and search results are in `chat_history.py`:
they carry sampling and usage from `llama.py`, which itself imports `ChatTurn`
from here, so they cannot live in this module without an import cycle.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .base import Record
from .tools import ToolCall


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"  # a tool's result, answering an assistant's tool call (never stored in chats)


class ChatTurn(Record):
    """One message as sent to a model: the minimum a chat template needs.

    An assistant turn may carry the tool calls it made; a tool turn is the result of
    one of them (`tool_call_id`, and the function's `name`).
    """

    role: Role
    content: str
    tool_calls: list[ToolCall] = Field(default_factory=list, description="Calls an assistant turn made.")
    tool_call_id: str | None = Field(None, description="The call a tool turn answers.")
    name: str | None = Field(None, description="The function whose result a tool turn is.")


class MessageState(StrEnum):
    """A message is `partial` while it streams; one still partial after a restart was cut off."""

    COMPLETE = "complete"
    PARTIAL = "partial"
    ERROR = "error"
