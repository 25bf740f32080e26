"""Chat turns and tools as a chat template reads them.

A tool-aware template (Qwen 2.5/3, Hermes, Llama 3.1+, Mistral: they read the `tools`
variable) gets the tools in OpenAI's shape and the messages as Hugging Face templates
expect them: an assistant's `tool_calls` with their arguments as an object, tool
results as role `tool` with `tool_call_id` and `name`.

A template that ignores tools (SmolLM2's, the named formats here) gets them in the
Hermes style instead, as plain text every template can show: a system prompt section
listing the tools as JSON and asking for `<tool_call>` blocks, the assistant's earlier
calls written as such blocks, and tool results as `<tool_response>` blocks in a user
turn (a role every template accepts).
"""

from __future__ import annotations

import json
from typing import Any

from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.tools import ToolCall, ToolDefinition

Message = dict[str, Any]

FALLBACK_INSTRUCTIONS = """\
# Tools

You may call one or more of these functions to help with the user's request. \
Their signatures, as JSON, are inside the <tools></tools> tags:
<tools>
{tools}
</tools>

To call a function, answer with a JSON object holding its name and arguments \
inside <tool_call></tool_call> tags, one block per call:
<tool_call>
{{"name": "function name", "arguments": {{"argument": "value"}}}}
</tool_call>
Each result comes back inside <tool_response></tool_response> tags."""


def template_reads_tools(template: str) -> bool:
    """Whether a Jinja chat template renders the `tools` it is given."""
    return "tools" in template


def tool_specs(tools: list[ToolDefinition]) -> list[Message]:
    """The tools as OpenAI sends them, which is what tool-aware templates read."""
    return [
        {
            "type": "function",
            "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
        }
        for tool in tools
    ]


def native_messages(turns: list[ChatTurn]) -> list[Message]:
    """Turns for a tool-aware template."""
    messages = []
    for turn in turns:
        message: Message = {"role": turn.role.value, "content": turn.content}
        if turn.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": _arguments_object(call)},
                }
                for call in turn.tool_calls
            ]
        if turn.role is Role.TOOL:
            message["tool_call_id"] = turn.tool_call_id or ""
            if turn.name:
                message["name"] = turn.name
        messages.append(message)
    return messages


def fallback_messages(turns: list[ChatTurn], tools: list[ToolDefinition]) -> list[Message]:
    """Turns for a template that knows nothing of tools: everything becomes text."""
    messages: list[Message] = []
    for turn in turns:
        if turn.role is Role.TOOL:
            response = f"<tool_response>\n{turn.content}\n</tool_response>"
            if messages and messages[-1].get("tool_results"):  # results of one answer: one turn
                messages[-1]["content"] += "\n" + response
            else:
                messages.append({"role": Role.USER.value, "content": response, "tool_results": True})
            continue
        content = turn.content
        if turn.tool_calls:
            blocks = [_call_block(call) for call in turn.tool_calls]
            content = "\n".join([content, *blocks] if content else blocks)
        messages.append({"role": turn.role.value, "content": content})
    for message in messages:
        message.pop("tool_results", None)
    if tools:
        section = FALLBACK_INSTRUCTIONS.format(
            tools="\n".join(json.dumps(spec, ensure_ascii=False) for spec in tool_specs(tools))
        )
        if messages and messages[0]["role"] == Role.SYSTEM.value:
            messages[0]["content"] = f"{messages[0]['content']}\n\n{section}".lstrip()
        else:
            messages.insert(0, {"role": Role.SYSTEM.value, "content": section})
    return messages


def _call_block(call: ToolCall) -> str:
    arguments = _arguments_object(call)
    body = json.dumps({"name": call.name, "arguments": arguments}, ensure_ascii=False)
    return f"<tool_call>\n{body}\n</tool_call>"


def _arguments_object(call: ToolCall) -> Any:
    """The arguments as an object (templates apply `tojson` to them); kept as text when they
    are not JSON, so a model's malformed call is shown as it was."""
    try:
        return json.loads(call.arguments)
    except ValueError:
        return call.arguments
