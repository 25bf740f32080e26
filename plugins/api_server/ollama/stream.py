"""Ollama's streams: one JSON object per line (NDJSON), `done: false` per piece of text, and a
last `done: true` object with the stop reason and the timings."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.llama import GenerationResult

from ..errors import ApiError, Dialect
from .translate import Clock, chat_answer, chat_message, created_at, generate_answer

MEDIA_TYPE = "application/x-ndjson"


def line(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


class OllamaStreamWriter:
    """`chat`: /api/chat's `message` objects, else /api/generate's `response` text."""

    media_type = MEDIA_TYPE

    def __init__(self, model: str, clock: Clock, *, chat: bool, thinking: bool) -> None:
        self._model = model
        self._clock = clock
        self._chat = chat
        self._thinking = thinking

    def start(self) -> bytes:
        return b""

    def events(self, batch: list[BaseModel]) -> bytes:
        lines = []
        stamp = created_at()
        for event in batch:
            piece: dict[str, Any] | None = None
            if isinstance(event, TokenEvent) and event.text:
                reasoning = event.channel == "reasoning"
                if reasoning and not self._thinking:
                    continue
                if self._chat:
                    message = chat_message("", event.text) if reasoning else chat_message(event.text)
                    piece = {"message": message}
                else:
                    piece = (
                        {"response": "", "thinking": event.text} if reasoning else {"response": event.text}
                    )
            elif isinstance(event, ToolCallEvent) and self._chat:
                piece = {"message": chat_message("", calls=[event.call])}
            if piece is not None:
                lines.append(line({"model": self._model, "created_at": stamp, **piece, "done": False}))
        return b"".join(lines)

    def finish(self, result: GenerationResult) -> bytes:
        # The text and calls went out as they came; the last object carries none of them again.
        empty = result.model_copy(update={"content": "", "reasoning": "", "tool_calls": []})
        answer = chat_answer if self._chat else generate_answer
        return line(answer(empty, self._model, self._clock, thinking=False))

    def end(self) -> bytes:
        return b""

    def error(self, error: ApiError) -> bytes:
        return line(error.body(Dialect.OLLAMA))
