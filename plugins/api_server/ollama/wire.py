"""Ollama's requests as data. Unknown top-level fields are ignored (Ollama's own server does
the same); `options` are checked by `options.py`, which refuses what it cannot honour."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

KeepAlive = float | str | None  # seconds, or a Go duration like "5m", "1h30m", "-1"


class WireIn(BaseModel):
    model_config = ConfigDict(extra="ignore")


class NamedRequest(WireIn):
    """`model`, which older clients send as `name`."""

    model: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _name_is_model(cls, data: Any) -> Any:
        if isinstance(data, dict) and "model" not in data and "name" in data:
            return {**data, "model": data["name"]}
        return data


class ToolFunctionIn(WireIn):
    name: str
    arguments: dict[str, Any] | str = Field(default_factory=dict)


class ToolCallIn(WireIn):
    id: str | None = None
    function: ToolFunctionIn


class MessageIn(WireIn):
    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = ""
    images: list[str] | None = None
    thinking: str | None = None  # an earlier answer's reasoning: not shown to the model again
    tool_calls: list[ToolCallIn] | None = None
    tool_name: str | None = None  # a tool message: the function it answers
    name: str | None = None  # older clients' spelling of tool_name
    tool_call_id: str | None = None


class FunctionIn(WireIn):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None


class ToolIn(WireIn):
    type: Literal["function"] = "function"
    function: FunctionIn


class GenerationFields(NamedRequest):
    stream: bool = True  # Ollama streams unless told not to
    options: dict[str, Any] | None = None
    format: Literal["", "json"] | dict[str, Any] | None = None
    keep_alive: KeepAlive = None
    think: bool | Literal["high", "medium", "low"] | None = None


class ChatRequest(GenerationFields):
    messages: list[MessageIn] = Field(default_factory=list)
    tools: list[ToolIn] | None = None


class GenerateRequest(GenerationFields):
    prompt: str = ""
    system: str | None = None
    raw: bool = False
    images: list[str] | None = None
    # Known, and refused when set.
    suffix: str | None = None
    template: str | None = None
    context: list[int] | None = None


class EmbedRequest(NamedRequest):
    input: str | list[str]
    truncate: bool = True
    dimensions: int | None = Field(None, ge=1)
    options: dict[str, Any] | None = None
    keep_alive: KeepAlive = None


class EmbeddingsRequest(NamedRequest):
    prompt: str = ""
    options: dict[str, Any] | None = None
    keep_alive: KeepAlive = None


class PullRequest(NamedRequest):
    insecure: bool = False  # accepted: loopback registries are plain HTTP anyway
    stream: bool = True


class CopyRequest(WireIn):
    source: str = Field(min_length=1)
    destination: str = Field(min_length=1)
