"""Server-sent events exactly as OpenAI frames them: `data: {json}\\n\\n` ... `data: [DONE]\\n\\n`.

A token chunk is the same JSON every time except for its text, so the frame is built
from a prefix and suffix made once per stream: per token only the text is encoded.
"""

from __future__ import annotations

import json
from typing import Any

from llamadesk.core.models.llama import GenerationResult
from llamadesk.core.models.tools import ToolCall
from llamadesk.lib.openai_api import ToolCallOut

from .translate import finish_reason, timings_out, usage_out

DONE = b"data: [DONE]\n\n"


def frame(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


class ChatChunkWriter:
    """Frames of one streamed chat completion (`object: chat.completion.chunk`)."""

    def __init__(self, completion_id: str, created: int, model: str) -> None:
        self._head = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
        }
        head = json.dumps(self._head, separators=(",", ":"))[:-1]
        self._prefix = head + ',"choices":[{"index":0,"delta":{"'
        self._suffix = '},"logprobs":null,"finish_reason":null}]}'

    def role(self) -> bytes:
        return self._choice({"role": "assistant", "content": ""}, None)

    def token(self, text: str, channel: str = "content") -> bytes:
        key = "reasoning_content" if channel == "reasoning" else "content"
        return f'data: {self._prefix}{key}":{json.dumps(text)}{self._suffix}\n\n'.encode()

    def tool_call(self, index: int, call: ToolCall) -> bytes:
        """A whole call in one chunk: OpenAI's clients join the pieces of a call by index,
        and one piece is the simplest case of that."""
        delta = {"tool_calls": [{"index": index, **ToolCallOut.of(call).model_dump()}]}
        return self._choice(delta, None)

    def finish(self, result: GenerationResult) -> bytes:
        return self._choice({}, finish_reason(result.stop_reason), timings=result)

    def usage(self, result: GenerationResult) -> bytes:
        """The extra last chunk `stream_options.include_usage` asks for: no choices, usage."""
        return frame({**self._head, "choices": [], "usage": usage_out(result.usage).model_dump()})

    def _choice(
        self, delta: dict[str, Any], finish: str | None, timings: GenerationResult | None = None
    ) -> bytes:
        payload: dict[str, Any] = {
            **self._head,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if timings is not None:
            payload["timings"] = timings_out(timings.usage).model_dump()
        return frame(payload)


class TextChunkWriter:
    """Frames of one streamed text completion (`object: text_completion`)."""

    def __init__(self, completion_id: str, created: int, model: str) -> None:
        self._head = {"id": completion_id, "object": "text_completion", "created": created, "model": model}

    def token(self, text: str, channel: str = "content") -> bytes:
        return self._choice(text, None)

    def finish(self, result: GenerationResult) -> bytes:
        return self._choice("", finish_reason(result.stop_reason))

    def usage(self, result: GenerationResult) -> bytes:
        return frame({**self._head, "choices": [], "usage": usage_out(result.usage).model_dump()})

    def _choice(self, text: str, finish: str | None) -> bytes:
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
        return frame({**self._head, "choices": [choice]})


def error_frame(body: dict[str, object]) -> bytes:
    """An error after the stream began: OpenAI sends `data: {"error": {...}}`."""
    return frame(body)
