"""OpenAI's tool fields <-> the core's tools: definitions and choice in, calls both ways.

Bad definitions get a 400 naming the field (`tools.0.function.name`), as OpenAI does;
what pydantic already refuses while reading the body (a missing name, parameters that
are not an object) is named the same way by the route's reader.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from llamadesk.core.models.tools import NamedToolChoice, ToolCall, ToolChoice, ToolDefinition
from llamadesk.lib.openai_api import (
    ChatCompletionRequest,
    ChatMessageIn,
    NamedToolChoiceIn,
    ToolCallIn,
    ToolCallOut,
)

from .errors import ApiError


def tools_for(request: ChatCompletionRequest) -> list[ToolDefinition]:
    tools = [
        tool_definition(
            tool.function.name, tool.function.description, tool.function.parameters, f"tools.{index}.function"
        )
        for index, tool in enumerate(request.tools or [])
    ]
    return distinct(tools, "tools.{}.function.name")


def tool_definition(
    name: str,
    description: str | None,
    parameters: dict[str, Any] | None,
    param: str,
    schema: str = "parameters",
) -> ToolDefinition:
    """A tool as every dialect declares one (`parameters` named `schema` in its wire); a bad
    one is a 400 naming the field (`tools.0.function.name`)."""
    try:
        return ToolDefinition(
            name=name,
            description=description or "",
            parameters=parameters if parameters is not None else {"type": "object"},
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "parameters"
        message = first["msg"].removeprefix("Value error, ")
        if field == "name":
            message = f"{name!r} is not a valid function name: use 1 to 64 letters, digits, _ . -"
        field = schema if field == "parameters" else field
        raise ApiError(400, f"{param}.{field}: {message}", param=f"{param}.{field}") from None


def distinct(tools: list[ToolDefinition], where: str) -> list[ToolDefinition]:
    """`tools`, refused (400, param `tools.N`) when two share a name; `where` formats the
    name's field by index for the message."""
    names = [tool.name for tool in tools]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise ApiError(400, f"{where.format(index)}: {name!r} is defined twice", param=f"tools.{index}")
    return tools


def required_needs_tools(choice: str, tools: list[ToolDefinition]) -> None:
    if choice == "required" and not tools:
        raise ApiError(400, "tool_choice: 'required' needs tools", param="tool_choice")


def tool_choice_for(request: ChatCompletionRequest, tools: list[ToolDefinition]) -> ToolChoice:
    choice = request.tool_choice
    if choice is None:
        return "auto"
    if isinstance(choice, NamedToolChoiceIn):
        if choice.function.name not in {tool.name for tool in tools}:
            raise ApiError(
                400,
                f"tool_choice names the function {choice.function.name!r}, which is not in tools",
                param="tool_choice",
            )
        return NamedToolChoice(name=choice.function.name)
    required_needs_tools(choice, tools)
    return choice


def calls_in(message: ChatMessageIn, index: int) -> list[ToolCall]:
    """The calls an assistant message of the history made."""
    calls = []
    for number, call in enumerate(message.tool_calls or []):
        calls.append(
            ToolCall(id=call.id, name=call.function.name, arguments=_arguments_text(call, index, number))
        )
    return calls


def _arguments_text(call: ToolCallIn, index: int, number: int) -> str:
    arguments = call.function.arguments
    if isinstance(arguments, str):
        return arguments
    try:
        return json.dumps(arguments, ensure_ascii=False)
    except (TypeError, ValueError):
        param = f"messages.{index}.tool_calls.{number}.function.arguments"
        raise ApiError(400, f"{param}: not JSON", param=param) from None


def tool_calls_out(calls: list[ToolCall]) -> list[ToolCallOut] | None:
    if not calls:
        return None
    return [ToolCallOut.of(call) for call in calls]
