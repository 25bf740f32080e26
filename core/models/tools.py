"""Tools a model may call (OpenAI's "function calling"), and the tools the app runs, as data.

A request offers `ToolDefinition`s and says with a `ToolChoice` whether the model
may (`auto`), may not (`none`) or must (`required`, or one named function) call
one; the answer carries `ToolCall`s. Arguments stay a JSON string, as OpenAI sends
them: the caller parses them, and a model's malformed JSON reaches it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from .base import CommandParams, Record

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


# --- Tools the app runs for a model (plugins' and MCP servers') -------------------------


class ToolSpec(Record):
    """A tool as its provider offers it: the provider's own name for it, and its schema."""

    name: str = Field(description="The tool's name within its provider (an MCP server's tool name).")
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    read_only: bool = Field(
        False,
        description="Reads and changes nothing the user cares about: may run without asking when trusted.",
    )


class ToolReply(Record):
    """What a tool gave back. `is_error`: the tool ran and reports a failure (told to the model)."""

    text: str
    is_error: bool = False


class ToolOutcome(StrEnum):
    OK = "ok"
    ERROR = "error"  # the tool failed, or its provider did (crashed, unreachable, bad arguments)
    DENIED = "denied"  # the user said no
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"  # the answer was stopped while the tool ran


class ToolResult(Record):
    """A tool call as a chat keeps it, beside the result text (the message's content)."""

    call_id: str = Field(description="The model's call this answers.")
    name: str = Field(description="The tool as the model called it: <provider>_<tool>.")
    provider: str = Field("", description="Who ran it: an MCP server's name, a plugin's.")
    arguments: str = Field("{}", description="The arguments, as the model wrote them.")
    outcome: ToolOutcome
    duration_ms: float | None = Field(None, description="How long the tool took, approval not counted.")
    truncated: bool = Field(False, description="The result was longer than kept; its end was cut.")


class PluginTool(Record):
    """A tool a plugin offers as plain Python (the `register_tools` hook).

    `handler(arguments)` gets the arguments object the model wrote (validated against
    `parameters` first) and returns the result as text, or raises to report a failure."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str = Field(pattern=TOOL_NAME_PATTERN)
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    handler: Callable[[dict[str, Any]], str]
    read_only: bool = False


class ApprovalDecision(StrEnum):
    ONCE = "once"  # run this call
    ALWAYS = "always"  # run this call and every later call of this tool without asking
    DENY = "deny"


class ToolApprovalEvent(Record):
    """A tool call waits for the user: answer with `tools.approve {request_id, decision}`."""

    kind: str = "tool_approval"
    request_id: str
    session_id: str | None = None
    call: ToolCall
    provider: str
    description: str = ""


class ToolRunEvent(Record):
    """A tool call's progress in a chat: approved and running, then its result."""

    kind: str = "tool_run"
    call: ToolCall
    provider: str
    state: Literal["running", "done"]
    result: ToolResult | None = None
    text: str = Field("", description="The result as the model reads it (done only).")


class ToolInfo(Record):
    """A tool as `tools.list` shows it."""

    name: str = Field(
        description="What a model calls it and what a chat's `tools` may name: <provider>_<tool>."
    )
    tool: str = Field(description="Its own name within its provider.")
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    read_only: bool = False
    always_allowed: bool = Field(False, description="Runs without asking (tools.always_allowed).")


class ToolProviderInfo(Record):
    name: str = Field(description="An MCP server's name or a plugin's; `@name` in a message enables it.")
    trusted: bool = Field(description="Its read-only tools run without asking.")
    tools: list[ToolInfo]


class ToolCatalog(Record):
    providers: list[ToolProviderInfo]


class ApproveParams(CommandParams):
    request_id: str = Field(description="From the ToolApprovalEvent of the waiting call.")
    decision: ApprovalDecision = Field(description="once, always (for this tool from now on), or deny.")


class ApproveResult(Record):
    accepted: bool = Field(
        description="False when no call waits under that id (decided already, or stopped)."
    )
