"""Ollama's chat and generate requests -> the core's GenerateRequest; results -> Ollama's answers.

Tool calls carry their arguments as JSON objects in Ollama's API (OpenAI's carry text).
Tool results name their function (`tool_name`) rather than a call id, so each is matched
to the earliest unanswered call of that name (or the earliest unanswered call).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.llama import GenerateRequest, GenerationResult, SamplingParams, StopReason, Usage
from llamadesk.core.models.tools import ToolCall, ToolDefinition
from llamadesk.lib.tool_calls import new_call_id

from ..errors import ApiError
from ..tool_translate import distinct, tool_definition
from . import wire
from .options import sampling_with

NS = 1_000_000_000


def created_at() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def chat_request(body: wire.ChatRequest, defaults: SamplingParams) -> GenerateRequest:
    tools = _tools(body.tools)
    return GenerateRequest(
        model=body.model,
        messages=turns_for(body.messages),
        sampling=_sampling(body, defaults),
        tools=tools,
        reasoning=None if body.think is None else bool(body.think),
    )


def generate_request(body: wire.GenerateRequest, defaults: SamplingParams) -> GenerateRequest:
    refused = {
        "suffix": "fill-in-the-middle is not supported",
        "template": "Go templates are not supported; send raw: true with the prompt as the model expects it",
        "context": "send the conversation to /api/chat instead",
        "images": "images are not supported",
    }
    for name, why in refused.items():
        if getattr(body, name):
            raise ApiError(400, f"{name}: {why}", param=name)
    sampling = _sampling(body, defaults)
    reasoning = None if body.think is None else bool(body.think)
    if body.raw:
        return GenerateRequest(model=body.model, messages=[], prompt=body.prompt, sampling=sampling)
    turns = [ChatTurn(role=Role.SYSTEM, content=body.system)] if body.system else []
    turns.append(ChatTurn(role=Role.USER, content=body.prompt))
    return GenerateRequest(model=body.model, messages=turns, sampling=sampling, reasoning=reasoning)


def _sampling(body: wire.GenerationFields, defaults: SamplingParams) -> SamplingParams:
    sampling = sampling_with(body.options, defaults)
    if body.format == "json":
        return sampling.model_copy(update={"json_schema": {"type": "object"}})
    if isinstance(body.format, dict):
        return sampling.model_copy(update={"json_schema": body.format})
    return sampling


def turns_for(messages: list[wire.MessageIn]) -> list[ChatTurn]:
    turns: list[ChatTurn] = []
    unanswered: list[ToolCall] = []
    for index, message in enumerate(messages):
        if message.images:
            raise ApiError(
                400, f"messages.{index}.images: images are not supported", param=f"messages.{index}.images"
            )
        text = message.content or ""
        if message.role == "tool":
            name = message.tool_name or message.name
            call = _answered(unanswered, name, message.tool_call_id)
            call_id = call.id if call else message.tool_call_id or new_call_id()
            turns.append(
                ChatTurn(
                    role=Role.TOOL, content=text, tool_call_id=call_id, name=name or (call and call.name)
                )
            )
            continue
        calls = [_call(call, index, number) for number, call in enumerate(message.tool_calls or [])]
        unanswered += calls
        turns.append(ChatTurn(role=Role(message.role), content=text, tool_calls=calls))
    return turns


def _answered(unanswered: list[ToolCall], name: str | None, call_id: str | None) -> ToolCall | None:
    for call in unanswered:
        if call.id == call_id or (call_id is None and (name is None or call.name == name)):
            unanswered.remove(call)
            return call
    return None


def _call(call: wire.ToolCallIn, index: int, number: int) -> ToolCall:
    arguments = call.function.arguments
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return ToolCall(id=call.id or new_call_id(), name=call.function.name, arguments=text)


def _tools(tools: list[wire.ToolIn] | None) -> list[ToolDefinition]:
    definitions = [
        tool_definition(
            t.function.name, t.function.description, t.function.parameters, f"tools.{index}.function"
        )
        for index, t in enumerate(tools or [])
    ]
    return distinct(definitions, "tools.{}.function.name")


# --- answers -------------------------------------------------------------------------


def tool_calls_out(calls: list[ToolCall]) -> list[dict[str, Any]]:
    out = []
    for index, call in enumerate(calls):
        try:
            arguments = json.loads(call.arguments)
        except json.JSONDecodeError:
            arguments = {}
        out.append({"id": call.id, "function": {"index": index, "name": call.name, "arguments": arguments}})
    return out


def done_reason(result: GenerationResult) -> str:
    return "length" if result.stop_reason is StopReason.LENGTH else "stop"


class Clock:
    """Ollama's final-message timings: total and load time of this request, in nanoseconds."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.load_seconds = 0.0

    def timings_of_prompt(self, prompt_tokens: int) -> dict[str, int]:
        """What /api/embed reports: no generation, only the inputs read."""
        return {
            "total_duration": int((time.perf_counter() - self.started) * NS),
            "load_duration": int(self.load_seconds * NS),
            "prompt_eval_count": prompt_tokens,
        }

    def timings(self, usage: Usage) -> dict[str, int]:
        return {
            "total_duration": int((time.perf_counter() - self.started) * NS),
            "load_duration": int(self.load_seconds * NS),
            "prompt_eval_count": usage.prompt_tokens,
            "prompt_eval_duration": int((usage.prompt_ms or 0.0) * 1_000_000),
            "eval_count": usage.completion_tokens,
            "eval_duration": int((usage.generation_ms or 0.0) * 1_000_000),
        }


def chat_message(content: str, thinking: str = "", calls: list[ToolCall] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking:
        message["thinking"] = thinking
    if calls:
        message["tool_calls"] = tool_calls_out(calls)
    return message


def chat_answer(result: GenerationResult, model: str, clock: Clock, *, thinking: bool) -> dict[str, Any]:
    message = chat_message(result.content, result.reasoning if thinking else "", result.tool_calls)
    return {
        "model": model,
        "created_at": created_at(),
        "message": message,
        "done": True,
        "done_reason": done_reason(result),
        **clock.timings(result.usage),
    }


def generate_answer(result: GenerationResult, model: str, clock: Clock, *, thinking: bool) -> dict[str, Any]:
    answer: dict[str, Any] = {"model": model, "created_at": created_at(), "response": result.content}
    if thinking and result.reasoning:
        answer["thinking"] = result.reasoning
    return {**answer, "done": True, "done_reason": done_reason(result), **clock.timings(result.usage)}
