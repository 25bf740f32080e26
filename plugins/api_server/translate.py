"""OpenAI request fields -> the core's GenerateRequest, and results -> OpenAI answers."""

from __future__ import annotations

import time
import uuid
from typing import Any

from pydantic import ValidationError

from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.llama import (
    GenerateRequest,
    GenerationResult,
    SamplingParams,
    StopReason,
    Usage,
)
from llamadesk.core.models.logprobs import TokenLogprob
from llamadesk.lib.openai_api import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionRequest,
    ChatMessageIn,
    CompletionRequest,
    SamplingFields,
    Timings,
    UsageOut,
)

from .errors import ApiError
from .tool_translate import calls_in, tool_calls_out, tool_choice_for, tools_for

ROLES = {
    "system": Role.SYSTEM,
    "developer": Role.SYSTEM,  # OpenAI's newer name for the system prompt
    "user": Role.USER,
    "assistant": Role.ASSISTANT,
    "tool": Role.TOOL,
}

# Request field -> SamplingParams field, where the names differ only.
_SAMPLING_FIELDS = (
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "repeat_penalty",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "grammar",
)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def now() -> int:
    return int(time.time())


def sampling_for(request: SamplingFields, defaults: SamplingParams) -> SamplingParams:
    """The user's default sampling, overridden by what the request sets."""
    values: dict[str, Any] = defaults.model_dump()
    for name in _SAMPLING_FIELDS:
        value = getattr(request, name)
        if value is not None:
            values[name] = value
    max_tokens = request.max_tokens
    if isinstance(request, ChatCompletionRequest) and request.max_completion_tokens is not None:
        max_tokens = request.max_completion_tokens
    if max_tokens is not None:
        values["max_tokens"] = max_tokens
    if request.stop is not None:
        values["stop"] = [request.stop] if isinstance(request.stop, str) else list(request.stop)
    if isinstance(request, ChatCompletionRequest) and request.response_format is not None:
        values["json_schema"] = _json_schema(request)
    try:
        return SamplingParams.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"])
        raise ApiError(400, f"{param}: {first['msg']}", param=param) from None


def _json_schema(request: ChatCompletionRequest) -> dict[str, Any] | None:
    fmt = request.response_format
    assert fmt is not None
    if fmt.type == "json_object":
        return {"type": "object"}
    if fmt.type == "json_schema":
        wrapper = fmt.json_schema or {}
        schema = wrapper.get("schema", wrapper)  # OpenAI nests it: {"name", "schema", "strict"}
        if not isinstance(schema, dict):
            raise ApiError(
                400, "response_format.json_schema.schema must be an object", param="response_format"
            )
        return schema
    return None


def turns_for(messages: list[ChatMessageIn]) -> list[ChatTurn]:
    turns = []
    call_names: dict[str, str] = {}  # call id -> function, so a tool result can name its function
    for index, message in enumerate(messages):
        role = ROLES[message.role]
        text = _text_of(message, index)
        if role is Role.TOOL:
            if not message.tool_call_id:
                raise ApiError(
                    400,
                    f"messages[{index}]: a tool message needs the tool_call_id it answers",
                    param=f"messages.{index}.tool_call_id",
                )
            name = message.name or call_names.get(message.tool_call_id)
            turns.append(ChatTurn(role=role, content=text, tool_call_id=message.tool_call_id, name=name))
            continue
        calls = calls_in(message, index) if role is Role.ASSISTANT else []
        call_names.update((call.id, call.name) for call in calls)
        turns.append(ChatTurn(role=role, content=text, tool_calls=calls))
    return turns


def _text_of(message: ChatMessageIn, index: int) -> str:
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    texts = []
    for part in message.content:
        if part.type != "text":
            raise ApiError(
                400,
                f"messages[{index}]: content of type {part.type!r} is not supported; send text",
                param=f"messages.{index}.content",
            )
        texts.append(part.text or "")
    return "".join(texts)


def generate_request(request: ChatCompletionRequest, defaults: SamplingParams) -> GenerateRequest:
    refuse_unsupported(request)
    tools = tools_for(request)
    logprobs = None
    if request.logprobs:
        logprobs = request.top_logprobs or 0
    return GenerateRequest(
        model=request.model,
        messages=turns_for(request.messages),
        sampling=sampling_for(request, defaults),
        tools=tools,
        tool_choice=tool_choice_for(request, tools),
        logprobs=logprobs,
    )


def refuse_unsupported(request: ChatCompletionRequest | CompletionRequest) -> None:
    """A 400 naming each field this server knows but cannot honour, rather than an answer
    that silently differs from what was asked."""
    refused: dict[str, bool] = {"logit_bias": bool(request.logit_bias)}
    if isinstance(request, ChatCompletionRequest):
        refused |= {
            "functions": bool(request.functions),
            "function_call": request.function_call is not None,
            "audio": request.audio is not None,
            "modalities": bool(request.modalities) and request.modalities != ["text"],
            "prediction": request.prediction is not None,
            "web_search_options": request.web_search_options is not None,
        }
        if request.top_logprobs is not None and not request.logprobs:
            raise ApiError(400, "top_logprobs: needs logprobs set to true", param="top_logprobs")
    else:
        refused |= {
            "echo": bool(request.echo),
            "suffix": bool(request.suffix),
            "best_of": request.best_of is not None and request.best_of > 1,
        }
    for name, is_set in refused.items():
        if is_set:
            hint = " (send tools)" if name in {"functions", "function_call"} else ""
            raise ApiError(400, f"{name}: not supported by this server{hint}", param=name)


def choices(generate: GenerateRequest, n: int) -> list[GenerateRequest]:
    """The generations of `n` answers; a seeded request gets seed, seed+1, ... so that the
    answers differ as OpenAI's do."""
    seed = generate.sampling.seed
    if n == 1 or seed is None:
        return [generate] * n
    return [
        generate.model_copy(update={"sampling": generate.sampling.model_copy(update={"seed": seed + i})})
        for i in range(n)
    ]


def chat_logprobs(entries: list[TokenLogprob] | None) -> dict[str, Any] | None:
    """OpenAI's `logprobs` of a chat choice (or of one streamed chunk's tokens)."""
    if entries is None:
        return None
    return {"content": [_chat_entry(entry) for entry in entries], "refusal": None}


def _chat_entry(entry: TokenLogprob) -> dict[str, Any]:
    return {
        "token": entry.token,
        "logprob": entry.logprob,
        "bytes": entry.bytes,
        "top_logprobs": [{"token": t.token, "logprob": t.logprob, "bytes": t.bytes} for t in entry.top],
    }


def completion_logprobs(entries: list[TokenLogprob] | None, offset: int = 0) -> dict[str, Any] | None:
    """The legacy completions' `logprobs`: parallel lists, top alternatives as maps."""
    if entries is None:
        return None
    offsets = []
    for entry in entries:
        offsets.append(offset)
        offset += len(entry.token)
    return {
        "tokens": [entry.token for entry in entries],
        "token_logprobs": [entry.logprob for entry in entries],
        "top_logprobs": [{t.token: t.logprob for t in entry.top} for entry in entries],
        "text_offset": offsets,
    }


def finish_reason(stop: StopReason) -> str:
    if stop == StopReason.LENGTH:
        return "length"
    return "tool_calls" if stop == StopReason.TOOL_CALLS else "stop"


def usage_out(usage: Usage) -> UsageOut:
    return UsageOut(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.prompt_tokens + usage.completion_tokens,
    )


def timings_out(usage: Usage) -> Timings:
    return Timings(
        prompt_n=usage.prompt_tokens,
        prompt_ms=usage.prompt_ms,
        predicted_n=usage.completion_tokens,
        predicted_ms=usage.generation_ms,
        predicted_per_second=usage.tokens_per_second,
    )


def chat_completion(results: list[GenerationResult], model: str) -> ChatCompletion:
    answers = []
    for index, result in enumerate(results):
        message = AssistantMessage(
            # OpenAI sends null content beside tool calls when the model wrote no text.
            content=result.content or (None if result.tool_calls else ""),
            reasoning_content=result.reasoning or None,
            tool_calls=tool_calls_out(result.tool_calls),
        )
        choice = ChatChoice(
            index=index,
            message=message,
            finish_reason=finish_reason(result.stop_reason),
            logprobs=chat_logprobs(result.logprobs),
        )
        answers.append(choice)
    return ChatCompletion(
        id=new_id("chatcmpl"),
        created=now(),
        model=model,
        choices=answers,
        usage=usage_of(results),
        timings=timings_out(results[-1].usage),
    )


def usage_of(results: list[GenerationResult]) -> UsageOut:
    """Usage of `n` answers to one prompt: the prompt once, every answer's tokens."""
    prompt = results[0].usage.prompt_tokens
    completion = sum(result.usage.completion_tokens for result in results)
    return UsageOut(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)
