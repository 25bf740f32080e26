"""A streamed response in OpenAI's Responses event sequence: `response.created`,
`response.in_progress`, per output item `response.output_item.added`, its deltas
(`response.output_text.delta`, `response.reasoning_text.delta`,
`response.function_call_arguments.delta`) and `.done` events, `response.output_item.done`,
then `response.completed` (or `response.incomplete`). Every event has a `sequence_number`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from llamadesk.core.models.commands import TokenEvent
from llamadesk.core.models.llama import GenerationResult
from llamadesk.core.models.tools import ToolCall

from ..blocks import AnswerBlocks, BlockKind
from ..errors import ApiError
from ..sse_events import event
from .translate import ResponseShell, call_item, message_item, new_id, reasoning_item, status_of

ITEM_PREFIX = {"thinking": "rs", "text": "msg", "tool_use": "fc"}


class ResponseStreamWriter:
    media_type = "text/event-stream"

    def __init__(self, shell: ResponseShell) -> None:
        self._shell = shell
        self._blocks = AnswerBlocks(self, thinking=True)
        self._sequence = 0
        self._ids: list[str] = []
        self._done: list[dict[str, Any]] = []  # finished output items, in order

    def _event(self, kind: str, payload: dict[str, Any]) -> bytes:
        self._sequence += 1
        return event(kind, {"sequence_number": self._sequence - 1, **payload})

    # --- AnswerWriter ---
    def start(self) -> bytes:
        response = self._shell.object("in_progress", [], None)
        return self._event("response.created", {"response": response}) + self._event(
            "response.in_progress", {"response": response}
        )

    def events(self, batch: list[BaseModel]) -> bytes:
        return self._blocks.feed(batch)

    def finish(self, result: GenerationResult) -> bytes:
        status = status_of(result)
        response = self._shell.object(status, self._done, result)
        kind = "response.completed" if status == "completed" else "response.incomplete"
        return self._blocks.close() + self._event(kind, {"response": response})

    def end(self) -> bytes:
        return b""

    def error(self, error: ApiError) -> bytes:
        return self._event("error", {"code": error.code, "message": error.message, "param": error.param})

    # --- BlockSink ---
    def open(self, index: int, kind: BlockKind, call: ToolCall | None) -> bytes:
        item_id = new_id(ITEM_PREFIX[kind])
        self._ids.append(item_id)
        if kind == "thinking":
            item = reasoning_item(item_id, "")
        elif kind == "tool_use":
            assert call is not None
            item = call_item(item_id, call, status="in_progress")
        else:
            item = message_item(item_id, "", status="in_progress")
        added = self._event("response.output_item.added", {"output_index": index, "item": item})
        if kind != "text":
            return added
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        where = {"item_id": item_id, "output_index": index, "content_index": 0}
        return added + self._event("response.content_part.added", {**where, "part": part})

    def delta(self, index: int, kind: BlockKind, text: str, token: TokenEvent | None) -> bytes:
        where = {"item_id": self._ids[index], "output_index": index}
        if kind == "tool_use":
            return self._event("response.function_call_arguments.delta", {**where, "delta": text})
        if kind == "thinking":
            return self._event("response.reasoning_text.delta", {**where, "content_index": 0, "delta": text})
        return self._event(
            "response.output_text.delta", {**where, "content_index": 0, "delta": text, "logprobs": []}
        )

    def close(self, index: int, kind: BlockKind, text: str, call: ToolCall | None) -> bytes:
        item_id = self._ids[index]
        where = {"item_id": item_id, "output_index": index}
        if kind == "tool_use":
            assert call is not None
            item = call_item(item_id, call)
            done = self._event(
                "response.function_call_arguments.done", {**where, "name": call.name, "arguments": text}
            )
        elif kind == "thinking":
            item = reasoning_item(item_id, text)
            done = self._event("response.reasoning_text.done", {**where, "content_index": 0, "text": text})
        else:
            item = message_item(item_id, text)
            part = item["content"][0]
            done = self._event(
                "response.output_text.done", {**where, "content_index": 0, "text": text, "logprobs": []}
            ) + self._event("response.content_part.done", {**where, "content_index": 0, "part": part})
        self._done.append(item)
        return done + self._event("response.output_item.done", {"output_index": index, "item": item})
