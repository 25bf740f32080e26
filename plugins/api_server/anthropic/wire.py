"""Anthropic's Messages API as data: what its clients send (unknown fields are ignored, as
the API's own extensions come and go; known fields this server cannot honour are refused
by the translation)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class WireIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ContentBlockIn(WireIn):
    """Any content block; which fields matter depends on `type` (checked when translated)."""

    type: str
    text: str | None = None
    id: str | None = None  # tool_use
    name: str | None = None  # tool_use
    input: dict[str, Any] | None = None  # tool_use
    tool_use_id: str | None = None  # tool_result
    content: str | list[ContentBlockIn] | None = None  # tool_result
    is_error: bool | None = None  # tool_result
    thinking: str | None = None  # thinking
    signature: str | None = None  # thinking
    cache_control: Any = None  # accepted: the model keeps the common prefix cached anyway
    source: dict[str, Any] | None = None  # document
    title: str | None = None  # document


class MessageIn(WireIn):
    role: Literal["user", "assistant"]
    content: str | list[ContentBlockIn]


class ToolIn(WireIn):
    name: str
    description: str | None = None
    input_schema: dict[str, Any] | None = None
    type: str | None = None  # "custom" or absent; server tools (web_search_...) are refused


class ToolChoiceIn(WireIn):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None  # accepted; a model may make several calls


class ThinkingIn(WireIn):
    type: Literal["enabled", "disabled", "adaptive"]
    budget_tokens: int | None = None  # accepted; the model's reasoning is not cut


class OutputFormatIn(WireIn):
    type: Literal["json_schema"]
    schema_: dict[str, Any] = Field(alias="schema")


class OutputConfigIn(WireIn):
    format: OutputFormatIn | None = None  # structured output: the answer follows the schema
    effort: str | None = None  # accepted: how long a model reasons is its own business


class PromptFields(WireIn):
    """What a prompt is made of: what count_tokens and messages share."""

    model: str
    messages: list[MessageIn] = Field(min_length=1)
    system: str | list[ContentBlockIn] | None = None
    tools: list[ToolIn] | None = None
    tool_choice: ToolChoiceIn | None = None
    thinking: ThinkingIn | None = None


class MessagesRequest(PromptFields):
    max_tokens: int = Field(ge=1)
    stop_sequences: list[str] | None = None
    temperature: float | None = Field(None, ge=0.0, le=1.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    top_k: int | None = Field(None, ge=0)
    stream: bool = False
    output_config: OutputConfigIn | None = None
    metadata: Any = None  # accepted: nothing is logged per user
    service_tier: Any = None  # accepted: there is one tier
    # Known, and refused when set.
    container: Any = None
    mcp_servers: Any = None


class CountTokensRequest(PromptFields):
    pass


class UsageOut(BaseModel):
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0


class MessageOut(BaseModel):
    id: str
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"
    model: str
    content: list[dict[str, Any]]
    stop_reason: str | None
    stop_sequence: str | None = None
    usage: UsageOut
