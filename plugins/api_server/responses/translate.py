"""Responses requests -> the core's GenerateRequest, and results -> Response objects.

Input items map onto chat turns: `instructions` first as the system prompt; messages by
role; `function_call` items join the assistant turn before them as its tool calls;
`function_call_output` items are tool turns; `reasoning` items are left out (old
reasoning is not shown to a model again).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.llama import GenerateRequest, GenerationResult, SamplingParams, StopReason
from llamadesk.core.models.tools import NamedToolChoice, ToolCall, ToolChoice, ToolDefinition

from ..errors import ApiError
from ..tool_translate import distinct, required_needs_tools, tool_definition
from .wire import ContentPartIn, InputItem, ResponsesRequest

ROLES = {"user": Role.USER, "assistant": Role.ASSISTANT, "system": Role.SYSTEM, "developer": Role.SYSTEM}
REFUSED = {
    "previous_response_id": "this server keeps no responses (stateless): send the whole conversation",
    "conversation": "this server keeps no conversations (stateless): send the whole conversation",
    "background": "background responses are not supported",
    "prompt": "stored prompt templates are not supported",
    "top_logprobs": "not supported on /v1/responses; use /v1/chat/completions",
}


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def generate_request(body: ResponsesRequest, defaults: SamplingParams) -> GenerateRequest:
    for name, why in REFUSED.items():
        if getattr(body, name) not in (None, False):
            raise ApiError(400, f"{name}: {why}", param=name)
    values: dict[str, Any] = {}
    for name in ("temperature", "top_p"):
        value = getattr(body, name)
        if value is not None:
            values[name] = value
    if body.max_output_tokens is not None:
        values["max_tokens"] = body.max_output_tokens
    values["json_schema"] = _json_schema(body)
    tools = tools_for(body)
    return GenerateRequest(
        model=body.model,
        messages=turns_for(body),
        sampling=defaults.model_copy(update=values),
        tools=tools,
        tool_choice=tool_choice_for(body, tools),
    )


def _json_schema(body: ResponsesRequest) -> dict[str, Any] | None:
    fmt = body.text.format if body.text else None
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_object":
        return {"type": "object"}
    if fmt.schema_ is None:
        raise ApiError(
            400, "text.format.schema: a json_schema format needs a schema", param="text.format.schema"
        )
    return fmt.schema_


def turns_for(body: ResponsesRequest) -> list[ChatTurn]:
    turns: list[ChatTurn] = []
    if body.instructions:
        turns.append(ChatTurn(role=Role.SYSTEM, content=body.instructions))
    if isinstance(body.input, str):
        return [*turns, ChatTurn(role=Role.USER, content=body.input)]
    names: dict[str, str] = {}
    for index, item in enumerate(body.input):
        where = f"input.{index}"
        kind = item.type or ("message" if item.role else None)
        if kind == "message":
            if item.role is None:
                raise ApiError(400, f"{where}.role: a message needs a role", param=f"{where}.role")
            turns.append(ChatTurn(role=ROLES[item.role], content=_text(item.content, f"{where}.content")))
        elif kind == "function_call":
            call = _call(item, where)
            names[call.id] = call.name
            last = turns[-1] if turns else None
            if last is not None and last.role is Role.ASSISTANT:
                turns[-1] = last.model_copy(update={"tool_calls": [*last.tool_calls, call]})
            else:
                turns.append(ChatTurn(role=Role.ASSISTANT, content="", tool_calls=[call]))
        elif kind == "function_call_output":
            if not item.call_id:
                raise ApiError(
                    400, f"{where}.call_id: the call this output answers", param=f"{where}.call_id"
                )
            output = _text(item.output, f"{where}.output")
            turns.append(
                ChatTurn(
                    role=Role.TOOL, content=output, tool_call_id=item.call_id, name=names.get(item.call_id)
                )
            )
        elif kind != "reasoning":
            raise ApiError(
                400, f"{where}.type: input items of type {kind!r} are not supported", param=f"{where}.type"
            )
    return turns


def _call(item: InputItem, where: str) -> ToolCall:
    if not item.call_id or not item.name:
        raise ApiError(400, f"{where}: a function_call needs a call_id and a name", param=where)
    return ToolCall(id=item.call_id, name=item.name, arguments=item.arguments or "{}")


def _text(content: str | list[ContentPartIn] | None, where: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    texts = []
    for number, part in enumerate(content):
        if part.type not in ("input_text", "output_text", "text", "refusal"):
            raise ApiError(
                400,
                f"{where}.{number}: content of type {part.type!r} is not supported; send text",
                param=where,
            )
        texts.append(part.text or part.refusal or "")
    return "".join(texts)


def tools_for(body: ResponsesRequest) -> list[ToolDefinition]:
    tools = []
    for index, tool in enumerate(body.tools or []):
        param = f"tools.{index}"
        if tool.type != "function":
            raise ApiError(
                400, f"{param}.type: only function tools are supported, not {tool.type!r}", param=param
            )
        tools.append(tool_definition(tool.name or "", tool.description, tool.parameters, param))
    return distinct(tools, "tools.{}.name")


def tool_choice_for(body: ResponsesRequest, tools: list[ToolDefinition]) -> ToolChoice:
    choice = body.tool_choice
    if choice is None:
        return "auto"
    if isinstance(choice, str):
        required_needs_tools(choice, tools)
        return choice
    if choice.type != "function" or choice.name not in {tool.name for tool in tools}:
        raise ApiError(400, "tool_choice: name one of the function tools", param="tool_choice")
    return NamedToolChoice(name=choice.name)


# --- results -----------------------------------------------------------------------------


def message_item(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    content = (
        [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
        if status == "completed"
        else []
    )
    return {"type": "message", "id": item_id, "status": status, "role": "assistant", "content": content}


def reasoning_item(item_id: str, text: str) -> dict[str, Any]:
    content = [{"type": "reasoning_text", "text": text}] if text else []
    return {"type": "reasoning", "id": item_id, "summary": [], "content": content}


def call_item(item_id: str, call: ToolCall, status: str = "completed") -> dict[str, Any]:
    arguments = call.arguments if status == "completed" else ""
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call.id,
        "name": call.name,
        "arguments": arguments,
        "status": status,
    }


def output_items(result: GenerationResult) -> list[dict[str, Any]]:
    items = []
    if result.reasoning:
        items.append(reasoning_item(new_id("rs"), result.reasoning))
    if result.content or not result.tool_calls:
        items.append(message_item(new_id("msg"), result.content))
    items += [call_item(new_id("fc"), call) for call in result.tool_calls]
    return items


class ResponseShell:
    """The response object's fields that do not depend on the answer, made once per request."""

    def __init__(self, body: ResponsesRequest, generate: GenerateRequest) -> None:
        self.id = new_id("resp")
        self.created_at = int(time.time())
        self._body = body
        self._generate = generate

    def object(
        self, status: str, output: list[dict[str, Any]], result: GenerationResult | None
    ) -> dict[str, Any]:
        body, sampling = self._body, self._generate.sampling
        incomplete = status == "incomplete"
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
            "instructions": body.instructions,
            "max_output_tokens": body.max_output_tokens,
            "model": body.model,
            "output": output,
            "parallel_tool_calls": body.parallel_tool_calls if body.parallel_tool_calls is not None else True,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "tool_choice": _choice_out(self._generate.tool_choice),
            "tools": [
                {
                    "type": "function",
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                    "strict": False,
                }
                for t in self._generate.tools
            ],
            "text": {"format": body.text.format.model_dump(by_alias=True, exclude_none=True)}
            if body.text and body.text.format
            else {"format": {"type": "text"}},
            "store": False,
            "metadata": {},
            "usage": usage(result) if result is not None else None,
        }


def status_of(result: GenerationResult) -> str:
    return "incomplete" if result.stop_reason is StopReason.LENGTH else "completed"


def usage(result: GenerationResult) -> dict[str, Any]:
    prompt, completion = result.usage.prompt_tokens, result.usage.completion_tokens
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def _choice_out(choice: ToolChoice) -> Any:
    return {"type": "function", "name": choice.name} if isinstance(choice, NamedToolChoice) else choice
