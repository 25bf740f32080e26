"""Tools a model may call (OpenAI's "function calling"), as data.

A request offers `ToolDefinition`s and says with a `ToolChoice` whether the model
may (`auto`), may not (`none`) or must (`required`, or one named function) call
one; the answer carries `ToolCall`s. Arguments stay a JSON string, as OpenAI sends
them: the caller parses them, and a model's malformed JSON reaches it unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from .base import Record

TOOL_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"  # OpenAI's rule for function names


class ToolDefinition(Record):
    """A function the model may call: its name, what it does, and its parameters' JSON schema."""

    name: str = Field(pattern=TOOL_NAME_PATTERN, description="The function's name (letters, digits, _ . -).")
    description: str = Field("", description="What the function does; the model reads it.")
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON schema of the arguments object.",
    )

    @field_validator("parameters")
    @classmethod
    def _object_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        kind = value.get("type", "object")
        if kind != "object":
            raise ValueError(f"the parameters schema must have type 'object', not {kind!r}")
        return value


class ToolCall(Record):
    """One call the model made: `arguments` is the JSON text of the arguments object."""

    id: str = Field(description="Unique within the conversation; a tool result names it.")
    name: str = Field(description="The function called.")
    arguments: str = Field("{}", description="The arguments as a JSON object, in text.")


class NamedToolChoice(Record):
    """The model must call this function."""

    name: str = Field(pattern=TOOL_NAME_PATTERN)


ToolChoice = Literal["auto", "none", "required"] | NamedToolChoice
