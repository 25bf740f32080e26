"""A streamed message in Anthropic's event sequence: `message_start`, then per content block
`content_block_start`, `content_block_delta`..., `content_block_stop`, then
`message_delta` (stop reason, usage) and `message_stop`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from llamadesk.core.models.commands import TokenEvent
from llamadesk.core.models.llama import GenerationResult
from llamadesk.core.models.tools import ToolCall

from ..blocks import AnswerBlocks, BlockKind
from ..errors import ApiError, Dialect
from ..sse_events import event
from .translate import new_message_id, stop_reason


class MessageStreamWriter:
    media_type = "text/event-stream"

    def __init__(self, model: str, *, thinking: bool) -> None:
        self._model = model
        self._blocks = AnswerBlocks(self, thinking=thinking)

    # --- AnswerWriter ---
    def start(self) -> bytes:
        message: dict[str, Any] = {
            "id": new_message_id(),
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            # The prompt's size is known once the answer ends: message_delta carries it.
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return event("message_start", {"message": message}) + event("ping", {})

    def events(self, batch: list[BaseModel]) -> bytes:
        return self._blocks.feed(batch)

    def finish(self, result: GenerationResult) -> bytes:
        usage = {"input_tokens": result.usage.prompt_tokens, "output_tokens": result.usage.completion_tokens}
        delta = {"stop_reason": stop_reason(result), "stop_sequence": result.stop_sequence}
        return self._blocks.close() + event("message_delta", {"delta": delta, "usage": usage})

    def end(self) -> bytes:
        return event("message_stop", {})

    def error(self, error: ApiError) -> bytes:
        body = error.body(Dialect.ANTHROPIC)
        return event("error", {"error": body["error"]})

    # --- BlockSink ---
    def open(self, index: int, kind: BlockKind, call: ToolCall | None) -> bytes:
        block: dict[str, Any]
        if kind == "thinking":
            block = {"type": "thinking", "thinking": "", "signature": ""}
        elif kind == "tool_use":
            assert call is not None
            block = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
        else:
            block = {"type": "text", "text": ""}
        return event("content_block_start", {"index": index, "content_block": block})

    def delta(self, index: int, kind: BlockKind, text: str, token: TokenEvent | None) -> bytes:
        if kind == "thinking":
            delta = {"type": "thinking_delta", "thinking": text}
        elif kind == "tool_use":
            delta = {"type": "input_json_delta", "partial_json": text}
        else:
            delta = {"type": "text_delta", "text": text}
        return event("content_block_delta", {"index": index, "delta": delta})

    def close(self, index: int, kind: BlockKind, text: str, call: ToolCall | None) -> bytes:
        signature = b""
        if kind == "thinking":  # clients keep a signature to send back; this server checks none
            signature = event(
                "content_block_delta", {"index": index, "delta": {"type": "signature_delta", "signature": ""}}
            )
        return signature + event("content_block_stop", {"index": index})
