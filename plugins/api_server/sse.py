"""Server-sent events exactly as OpenAI frames them: `data: {json}\\n\\n` ... `data: [DONE]\\n\\n`.

A token chunk is the same JSON every time except for its text, so the frame is built
from a prefix and suffix made once per choice: per token only the text is encoded.
Tokens that carry log probabilities (asked for) take the slower, general way.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.llama import GenerationResult
from llamadesk.core.models.tools import ToolCall
from llamadesk.lib.openai_api import ToolCallOut

from .errors import ApiError
from .translate import chat_logprobs, completion_logprobs, finish_reason, timings_out, usage_of

DONE = b"data: [DONE]\n\n"


def frame(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


class _ChoicesWriter:
    """What both OpenAI streams share: choices in turn (`n`), usage at the end, errors."""

    media_type = "text/event-stream"

    def __init__(self, head: dict[str, Any], include_usage: bool) -> None:
        self._head = head
        self._include_usage = include_usage
        self._index = 0
        self._results: list[GenerationResult] = []

    def end(self) -> bytes:
        """The extra last chunk `stream_options.include_usage` asks for (no choices), then [DONE]."""
        if not self._include_usage or not self._results:
            return DONE
        usage = usage_of(self._results).model_dump()
        return frame({**self._head, "choices": [], "usage": usage}) + DONE

    def error(self, error: ApiError) -> bytes:
        """An error after the stream began: OpenAI sends `data: {"error": {...}}`."""
        return frame(error.body())

    def _finished(self, result: GenerationResult) -> int:
        """Record a choice's end; returns its index (the next choice gets the next one)."""
        self._results.append(result)
        self._index += 1
        return self._index - 1


class ChatChunkWriter(_ChoicesWriter):
    """Frames of one streamed chat completion (`object: chat.completion.chunk`)."""

    def __init__(self, completion_id: str, created: int, model: str, include_usage: bool = False) -> None:
        head = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model}
        super().__init__(head, include_usage)
        self._prefix = self._suffix = ""
        self._set_choice(0)
        self._role_due = True

    def _set_choice(self, index: int) -> None:
        head = json.dumps(self._head, separators=(",", ":"))[:-1]
        self._prefix = head + f',"choices":[{{"index":{index},"delta":{{"'
        self._suffix = '},"logprobs":null,"finish_reason":null}]}'

    def start(self) -> bytes:
        return self._role()

    def _role(self) -> bytes:
        self._role_due = False
        return self._choice({"role": "assistant", "content": ""}, None)

    def events(self, batch: list[BaseModel]) -> bytes:
        frames = [self._role()] if self._role_due else []
        for event in batch:
            if isinstance(event, TokenEvent) and event.text:
                frames.append(self.token(event.text, event.channel, event))
            elif isinstance(event, ToolCallEvent):
                frames.append(self.tool_call(event.index, event.call))
        return b"".join(frames)

    def token(self, text: str, channel: str = "content", event: TokenEvent | None = None) -> bytes:
        key = "reasoning_content" if channel == "reasoning" else "content"
        if event is not None and event.logprobs is not None:
            return self._choice({key: text}, None, logprobs=chat_logprobs(event.logprobs))
        return f'data: {self._prefix}{key}":{json.dumps(text)}{self._suffix}\n\n'.encode()

    def tool_call(self, index: int, call: ToolCall) -> bytes:
        """A whole call in one chunk: OpenAI's clients join the pieces of a call by index,
        and one piece is the simplest case of that."""
        delta = {"tool_calls": [{"index": index, **ToolCallOut.of(call).model_dump()}]}
        return self._choice(delta, None)

    def finish(self, result: GenerationResult) -> bytes:
        last = self._choice({}, finish_reason(result.stop_reason), timings=result)
        self._finished(result)
        self._set_choice(self._index)
        self._role_due = True
        return last

    def _choice(
        self,
        delta: dict[str, Any],
        finish: str | None,
        timings: GenerationResult | None = None,
        logprobs: dict[str, Any] | None = None,
    ) -> bytes:
        choice = {"index": self._index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
        payload: dict[str, Any] = {**self._head, "choices": [choice]}
        if timings is not None:
            payload["timings"] = timings_out(timings.usage).model_dump()
        return frame(payload)


class TextChunkWriter(_ChoicesWriter):
    """Frames of one streamed text completion (`object: text_completion`)."""

    def __init__(self, completion_id: str, created: int, model: str, include_usage: bool = False) -> None:
        head = {"id": completion_id, "object": "text_completion", "created": created, "model": model}
        super().__init__(head, include_usage)
        self._offset = 0  # characters of this choice so far, for logprobs' text_offset

    def start(self) -> bytes:
        return b""

    def events(self, batch: list[BaseModel]) -> bytes:
        frames = []
        for event in batch:
            if isinstance(event, TokenEvent) and event.text and event.channel == "content":
                logprobs = completion_logprobs(event.logprobs, self._offset)
                self._offset += len(event.text)
                frames.append(self._choice(event.text, None, logprobs))
        return b"".join(frames)

    def finish(self, result: GenerationResult) -> bytes:
        last = self._choice("", finish_reason(result.stop_reason))
        self._finished(result)
        self._offset = 0
        return last

    def _choice(self, text: str, finish: str | None, logprobs: dict[str, Any] | None = None) -> bytes:
        choice = {"index": self._index, "text": text, "logprobs": logprobs, "finish_reason": finish}
        return frame({**self._head, "choices": [choice]})
