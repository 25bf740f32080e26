"""Anthropic's requests -> the core's GenerateRequest, and results -> Anthropic's messages.

Content blocks map onto chat turns: text is text; an assistant's `tool_use` blocks are its
tool calls; a user's `tool_result` blocks become tool turns (before the user's own text);
earlier `thinking` blocks are left out of the prompt, as chat templates leave out old
reasoning. Fields that cannot be honoured answer 400 naming them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.llama import GenerateRequest, GenerationResult, SamplingParams, StopReason
from llamadesk.core.models.tools import NamedToolChoice, ToolCall, ToolChoice, ToolDefinition

from ..errors import ApiError
from ..tool_translate import distinct, tool_definition
from .wire import ContentBlockIn, MessageOut, MessagesRequest, PromptFields, UsageOut

SKIPPED_BLOCKS = {"thinking", "redacted_thinking"}


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex[:24]


def generate_request(body: MessagesRequest, defaults: SamplingParams) -> GenerateRequest:
    for name in ("container", "mcp_servers"):
        if getattr(body, name) is not None:
            raise ApiError(400, f"{name}: not supported by this server", param=name)
    values: dict[str, Any] = {"max_tokens": body.max_tokens}
    for name in ("temperature", "top_p", "top_k"):
        value = getattr(body, name)
        if value is not None:
            values[name] = value
    if body.stop_sequences:
        values["stop"] = list(body.stop_sequences)
    if body.output_config is not None and body.output_config.format is not None:
        values["json_schema"] = body.output_config.format.schema_
    return prompt_request(body, defaults.model_copy(update=values))


def prompt_request(body: PromptFields, sampling: SamplingParams) -> GenerateRequest:
    tools = tools_for(body)
    return GenerateRequest(
        model=body.model,
        messages=turns_for(body),
        sampling=sampling,
        tools=tools,
        tool_choice=tool_choice_for(body, tools),
        reasoning=shows_thinking(body),
    )


def shows_thinking(body: PromptFields) -> bool:
    """Thinking blocks only when asked for, as Anthropic's API; the template is told too
    (`enable_thinking`), so a model that can skip its reasoning does."""
    return body.thinking is not None and body.thinking.type != "disabled"


def turns_for(body: PromptFields) -> list[ChatTurn]:
    turns: list[ChatTurn] = []
    if body.system:
        text = body.system if isinstance(body.system, str) else _texts(body.system, "system")
        turns.append(ChatTurn(role=Role.SYSTEM, content=text))
    names: dict[str, str] = {}  # tool_use id -> tool name, for the results that answer them
    for index, message in enumerate(body.messages):
        where = f"messages.{index}.content"
        if isinstance(message.content, str):
            role = Role.USER if message.role == "user" else Role.ASSISTANT
            turns.append(ChatTurn(role=role, content=message.content))
        elif message.role == "assistant":
            turns.append(_assistant_turn(message.content, where, names))
        else:
            turns += _user_turns(message.content, where, names)
    return turns


def _assistant_turn(blocks: list[ContentBlockIn], where: str, names: dict[str, str]) -> ChatTurn:
    texts, calls = [], []
    for number, block in enumerate(blocks):
        if block.type == "text":
            texts.append(block.text or "")
        elif block.type == "tool_use":
            if not block.id or not block.name:
                raise _bad(f"{where}.{number}", "a tool_use block needs an id and a name")
            arguments = json.dumps(block.input or {}, ensure_ascii=False)
            calls.append(ToolCall(id=block.id, name=block.name, arguments=arguments))
            names[block.id] = block.name
        elif block.type not in SKIPPED_BLOCKS:
            raise _unsupported(f"{where}.{number}", block.type)
    return ChatTurn(role=Role.ASSISTANT, content="".join(texts), tool_calls=calls)


def _user_turns(blocks: list[ContentBlockIn], where: str, names: dict[str, str]) -> list[ChatTurn]:
    results, texts = [], []
    for number, block in enumerate(blocks):
        if block.type == "text":
            texts.append(block.text or "")
        elif block.type == "document":
            texts.append(_document_text(block, f"{where}.{number}"))
        elif block.type == "tool_result":
            if not block.tool_use_id:
                raise _bad(f"{where}.{number}", "a tool_result block needs the tool_use_id it answers")
            content = block.content
            text = content if isinstance(content, str) else _texts(content or [], f"{where}.{number}.content")
            if block.is_error:
                text = f"Error: {text}"
            name = names.get(block.tool_use_id)
            results.append(ChatTurn(role=Role.TOOL, content=text, tool_call_id=block.tool_use_id, name=name))
        elif block.type not in SKIPPED_BLOCKS:
            raise _unsupported(f"{where}.{number}", block.type)
    turns = results
    if texts or not results:
        turns.append(ChatTurn(role=Role.USER, content="".join(texts)))
    return turns


def _document_text(block: ContentBlockIn, where: str) -> str:
    """A document block whose source is text: the file's text in the message, named as the
    chat names attached files. Base64 sources (PDF) would need a reader here: refused."""
    source = block.source or {}
    if source.get("type") != "text" or not isinstance(source.get("data"), str):
        raise _bad(
            f"{where}.source",
            "only documents with a text source are read by this server; send the file's text "
            '(source {"type": "text", "media_type": "text/plain", "data": ...})',
        )
    return f'<file name="{block.title or "document"}">\n{source["data"]}\n</file>\n\n'


def _texts(blocks: list[ContentBlockIn], where: str) -> str:
    for number, block in enumerate(blocks):
        if block.type != "text":
            raise _unsupported(f"{where}.{number}", block.type)
    return "".join(block.text or "" for block in blocks)


def tools_for(body: PromptFields) -> list[ToolDefinition]:
    tools = []
    for index, tool in enumerate(body.tools or []):
        param = f"tools.{index}"
        if tool.type not in (None, "custom") or tool.input_schema is None:
            raise ApiError(
                400,
                f"{param}: only custom tools with an input_schema are supported (not {tool.type or tool.name!r})",
                param=param,
            )
        tools.append(tool_definition(tool.name, tool.description, tool.input_schema, param, "input_schema"))
    return distinct(tools, "tools.{}.name")


def tool_choice_for(body: PromptFields, tools: list[ToolDefinition]) -> ToolChoice:
    choice = body.tool_choice
    if choice is None or choice.type == "auto":
        return "auto"
    if choice.type == "none":
        return "none"
    if not tools:
        raise ApiError(400, f"tool_choice: {choice.type!r} needs tools", param="tool_choice")
    if choice.type == "any":
        return "required"
    if choice.name not in {tool.name for tool in tools}:
        raise ApiError(400, f"tool_choice.name: {choice.name!r} is not in tools", param="tool_choice.name")
    return NamedToolChoice(name=choice.name)


def stop_reason(result: GenerationResult) -> str:
    if result.stop_reason is StopReason.LENGTH:
        return "max_tokens"
    if result.stop_reason is StopReason.TOOL_CALLS:
        return "tool_use"
    return "stop_sequence" if result.stop_sequence else "end_turn"


def tool_use_block(call: ToolCall) -> dict[str, Any]:
    try:
        arguments = json.loads(call.arguments)
    except json.JSONDecodeError:
        arguments = {}
    return {
        "type": "tool_use",
        "id": call.id,
        "name": call.name,
        "input": arguments if isinstance(arguments, dict) else {},
    }


def message_out(result: GenerationResult, model: str, *, thinking: bool) -> MessageOut:
    content: list[dict[str, Any]] = []
    if thinking and result.reasoning:
        content.append({"type": "thinking", "thinking": result.reasoning, "signature": ""})
    if result.content or not result.tool_calls:
        content.append({"type": "text", "text": result.content})
    content += [tool_use_block(call) for call in result.tool_calls]
    return MessageOut(
        id=new_message_id(),
        model=model,
        content=content,
        stop_reason=stop_reason(result),
        stop_sequence=result.stop_sequence,
        usage=UsageOut(input_tokens=result.usage.prompt_tokens, output_tokens=result.usage.completion_tokens),
    )


def _bad(param: str, message: str) -> ApiError:
    return ApiError(400, f"{param}: {message}", param=param)


def _unsupported(param: str, kind: str) -> ApiError:
    return _bad(param, f"content blocks of type {kind!r} are not supported here; send text")
