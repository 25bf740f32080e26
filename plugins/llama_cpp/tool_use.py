"""What tools change in one generation of the worker.

- Which tools the model is shown: none for `tool_choice: "none"`.
- For `required` or a named function, a GBNF grammar (from a JSON schema, with
  llama-cpp-python's converter) that lets the model write nothing but one call,
  `{"name": ..., "arguments": {...}}`, with arguments matching the tool's schema: even
  a tiny model then answers with a valid call. It replaces any grammar or JSON schema
  the sampling asked for.
- The output's content goes through a `ToolCallSplitter`; finished calls are sent
  apart from the tokens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from llama_cpp.llama_grammar import json_schema_to_gbnf

from llamadesk.core.models.llama import SamplingParams
from llamadesk.core.models.tools import NamedToolChoice, ToolCall, ToolChoice, ToolDefinition
from llamadesk.lib.tool_calls import ToolCallSplitter

Emit = Callable[[str, str], None]  # (channel, text)


class ToolUse:
    def __init__(self, tools: list[ToolDefinition], choice: ToolChoice) -> None:
        self.offered = [] if choice == "none" else list(tools)
        self.grammar = tool_call_grammar(self.offered, choice)

    def sampling(self, sampling: SamplingParams) -> SamplingParams:
        if self.grammar is None:
            return sampling
        return sampling.model_copy(update={"grammar": self.grammar, "json_schema": None})


def tool_call_grammar(tools: list[ToolDefinition], choice: ToolChoice) -> str | None:
    """The grammar that forces a call, or None when the model may answer freely."""
    if isinstance(choice, NamedToolChoice):
        chosen = [tool for tool in tools if tool.name == choice.name]
    elif choice == "required":
        chosen = tools
    else:
        return None
    if not chosen:
        return None
    try:
        return str(json_schema_to_gbnf(json.dumps(_one_of([_call_schema(t, t.parameters) for t in chosen]))))
    except Exception:  # a schema feature the converter lacks: any JSON object as arguments
        return str(
            json_schema_to_gbnf(json.dumps(_one_of([_call_schema(t, {"type": "object"}) for t in chosen])))
        )


def _call_schema(tool: ToolDefinition, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"name": {"const": tool.name}, "arguments": arguments},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


def _one_of(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}


class ToolCallSink:
    """Wraps the generator's emit: content goes through the splitter, calls to `on_call`."""

    def __init__(self, emit: Emit, on_call: Callable[[ToolCall], None], tools: list[ToolDefinition]) -> None:
        self._emit = emit
        self._on_call = on_call
        self._splitter = ToolCallSplitter(tool_names=[tool.name for tool in tools])

    @property
    def calls(self) -> int:
        return self._splitter.calls

    def emit(self, channel: str, text: str) -> None:
        if channel != "content":
            self._emit(channel, text)
            return
        self._route(self._splitter.feed(text))

    def flush(self) -> None:
        self._route(self._splitter.flush())

    def _route(self, pieces: list[str | ToolCall]) -> None:
        for piece in pieces:
            if isinstance(piece, str):
                self._emit("content", piece)
            else:
                self._on_call(piece)
