"""Tools on the way to a remote OpenAI-compatible server and the calls on the way back.

The request carries the tools, the choice and the history's calls and results as
OpenAI's fields; the server does the prompt and the parsing. Its streamed calls arrive
in pieces (`delta.tool_calls`), joined by `index`: the first piece of a call brings its
id and name, the others add to its arguments. Some servers (llama-cpp-python's) repeat
the id and name in every piece, so those are taken once, never joined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.llama import GenerateRequest
from llamadesk.core.models.tools import NamedToolChoice, ToolCall
from llamadesk.lib.openai_api import ToolCallDelta, ToolCallOut
from llamadesk.lib.tool_calls import new_call_id


def message_body(turn: ChatTurn) -> dict[str, Any]:
    message: dict[str, Any] = {"role": turn.role.value, "content": turn.content}
    if turn.tool_calls:
        message["tool_calls"] = [ToolCallOut.of(call).model_dump() for call in turn.tool_calls]
    if turn.role is Role.TOOL:
        message["tool_call_id"] = turn.tool_call_id or ""
        if turn.name:
            message["name"] = turn.name
    return message


def tools_body(request: GenerateRequest) -> dict[str, Any]:
    """`tools` and `tool_choice`, or nothing when the request offers no tools (some servers
    refuse a tool_choice without tools)."""
    if not request.tools:
        return {}
    choice = request.tool_choice
    return {
        "tools": [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
            }
            for t in request.tools
        ],
        "tool_choice": (
            {"type": "function", "function": {"name": choice.name}}
            if isinstance(choice, NamedToolChoice)
            else choice
        ),
    }


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class ToolCallAccumulator:
    """Joins streamed call pieces by index; `calls()` gives the finished calls in order."""

    def __init__(self) -> None:
        self._calls: dict[int, _PartialCall] = {}

    def feed(self, deltas: list[ToolCallDelta]) -> None:
        for delta in deltas:
            call = self._calls.setdefault(delta.index, _PartialCall())
            call.id = call.id or (delta.id or "")
            if delta.function is not None:
                call.name = call.name or (delta.function.name or "")
                if delta.function.arguments:
                    call.arguments.append(delta.function.arguments)

    def calls(self) -> list[ToolCall]:
        return [
            ToolCall(id=call.id or new_call_id(), name=call.name, arguments="".join(call.arguments) or "{}")
            for _index, call in sorted(self._calls.items())
            if call.name
        ]
