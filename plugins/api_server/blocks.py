"""A streamed answer as a sequence of content blocks, for the dialects that stream blocks.

Anthropic's Messages and OpenAI's Responses both stream an answer as blocks (items) that
open, grow and close: thinking (the reasoning channel), text, and one per tool call.
`AnswerBlocks` follows the generation's events and tells a dialect's `BlockSink` when a
block opens, grows and closes; the sink writes the dialect's events.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel

from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.tools import ToolCall

BlockKind = Literal["thinking", "text", "tool_use"]


class BlockSink(Protocol):
    def open(self, index: int, kind: BlockKind, call: ToolCall | None) -> bytes: ...
    def delta(self, index: int, kind: BlockKind, text: str, event: TokenEvent | None) -> bytes: ...
    def close(self, index: int, kind: BlockKind, text: str, call: ToolCall | None) -> bytes: ...


class AnswerBlocks:
    """`thinking`: whether reasoning becomes thinking blocks (else it is left out)."""

    def __init__(self, sink: BlockSink, *, thinking: bool) -> None:
        self._sink = sink
        self._thinking = thinking
        self._index = -1
        self._kind: BlockKind | None = None
        self._text: list[str] = []
        self.count = 0  # blocks opened so far

    def feed(self, batch: list[BaseModel]) -> bytes:
        out: list[bytes] = []
        for event in batch:
            if isinstance(event, TokenEvent) and event.text:
                kind: BlockKind = "thinking" if event.channel == "reasoning" else "text"
                if kind == "thinking" and not self._thinking:
                    continue
                if self._kind != kind:
                    out.append(self.close())
                    out.append(self._open(kind, None))
                self._text.append(event.text)
                out.append(self._sink.delta(self._index, kind, event.text, event))
            elif isinstance(event, ToolCallEvent):
                out.append(self.close())
                out.append(self._open("tool_use", event.call))
                out.append(self._sink.delta(self._index, "tool_use", event.call.arguments, None))
                out.append(self._sink.close(self._index, "tool_use", event.call.arguments, event.call))
                self._kind = None
        return b"".join(out)

    def close(self) -> bytes:
        """Close the open block, if any (at a change of kind, and at the end)."""
        if self._kind is None:
            return b""
        kind, self._kind = self._kind, None
        text, self._text = "".join(self._text), []
        return self._sink.close(self._index, kind, text, None)

    def _open(self, kind: BlockKind, call: ToolCall | None) -> bytes:
        self._index += 1
        self.count += 1
        self._kind = kind
        return self._sink.open(self._index, kind, call)
