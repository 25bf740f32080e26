"""OpenAI's Responses API requests as data. Unknown fields are ignored (clients send
`metadata`, `user`, `store`...); known fields this server cannot honour are refused by the
translation, naming them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class WireIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ContentPartIn(WireIn):
    type: str  # input_text, output_text (history), refusal; others are refused
    text: str | None = None
    refusal: str | None = None


class InputItem(WireIn):
    """A message (`role` + `content`), a function call from the history, or its output."""

    type: str | None = None  # message (the default when a role is given), function_call, ...
    role: Literal["user", "assistant", "system", "developer"] | None = None
    content: str | list[ContentPartIn] | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    output: str | list[ContentPartIn] | None = None


class ToolIn(WireIn):
    type: str
    name: str | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class NamedToolChoiceIn(WireIn):
    type: str
    name: str | None = None


class TextFormatIn(WireIn):
    type: Literal["text", "json_object", "json_schema"] = "text"
    name: str | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")
    strict: bool | None = None


class TextOptionsIn(WireIn):
    format: TextFormatIn | None = None


class ResponsesRequest(WireIn):
    model: str
    input: str | list[InputItem]
    instructions: str | None = None
    stream: bool = False
    tools: list[ToolIn] | None = None
    tool_choice: Literal["auto", "none", "required"] | NamedToolChoiceIn | None = None
    parallel_tool_calls: bool | None = None  # accepted; a model may always make several calls
    max_output_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    text: TextOptionsIn | None = None
    reasoning: Any = None  # accepted: effort and summaries are the model's own business
    store: bool | None = None  # accepted: nothing is ever stored (stateless)
    include: list[str] | None = None  # accepted: no extra output to include
    truncation: Literal["auto", "disabled"] | None = None  # accepted: a prompt over the context fails
    # Known, and refused when set: they need state kept between requests, or a feature not here.
    previous_response_id: str | None = None
    conversation: Any = None
    background: bool | None = None
    prompt: Any = None
    top_logprobs: int | None = None
