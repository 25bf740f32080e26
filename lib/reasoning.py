"""Splitting a model's streamed output into reasoning and answer.

Reasoning models open their answer with a block like `<think>...</think>`
(variants: `<analysis>`, `<reasoning>`). Text arrives in arbitrary chunks, so a
tag may be cut anywhere (`<thi` + `nk>`): the splitter holds back only the few
characters that could still become a tag and releases them as soon as they
cannot. A block is recognised only at the start of the output (after optional
whitespace), as llama.cpp does, so an answer that talks about `<think>` tags is
left alone. Used by the llama.cpp worker and reusable by any backend or server.
"""

from __future__ import annotations

from enum import Enum

CONTENT = "content"
REASONING = "reasoning"
OPEN_TAGS = ("<think>", "<analysis>", "<reasoning>")

Piece = tuple[str, str]  # (channel, text)


class _Mode(Enum):
    START = 0  # nothing but whitespace seen yet: an opening tag may still come
    REASONING = 1
    CONTENT = 2


def closing_tag(open_tag: str) -> str:
    return "</" + open_tag[1:]


def prompt_opens_reasoning(prompt: str) -> str | None:
    """The tag a rendered prompt ends inside (templates that pre-open `<think>`), or None."""
    tail = prompt.rstrip()
    return next((tag for tag in OPEN_TAGS if tail.endswith(tag)), None)


class ReasoningSplitter:
    """Feed chunks in, get (channel, text) pieces out; `flush()` at the end.

    `open_tag` starts inside a reasoning block (the prompt already opened it).
    `enabled=False` passes everything through as content.
    """

    def __init__(self, *, open_tag: str | None = None, enabled: bool = True) -> None:
        self._enabled = enabled
        self._pending = ""
        self._close = closing_tag(open_tag) if open_tag else ""
        self._mode = _Mode.REASONING if open_tag else _Mode.START
        self._strip_next = bool(open_tag)  # drop the newline that follows a tag

    def feed(self, text: str) -> list[Piece]:
        if not self._enabled or (self._mode is _Mode.CONTENT and not self._strip_next):
            return [(CONTENT, text)] if text else []  # the hot path: one check per token
        out: list[Piece] = []
        buf = self._pending + text
        self._pending = ""
        while buf:
            if self._mode is _Mode.START:
                buf = self._from_start(buf)
            elif self._mode is _Mode.REASONING:
                buf = self._in_reasoning(buf, out)
            else:
                self._emit(out, CONTENT, buf)
                buf = ""
        return out

    def flush(self) -> list[Piece]:
        """Release what was held back: a tag that never completed is plain text."""
        held, self._pending = self._pending, ""
        if not held:
            return []
        channel = REASONING if self._mode is _Mode.REASONING else CONTENT
        return [(channel, held)]

    def _from_start(self, buf: str) -> str:
        stripped = buf.lstrip()
        if not stripped:
            self._pending = buf
            return ""
        for tag in OPEN_TAGS:
            if stripped.startswith(tag):
                self._mode, self._close, self._strip_next = _Mode.REASONING, closing_tag(tag), True
                return stripped[len(tag) :]
            if tag.startswith(stripped):
                self._pending = buf  # could still become this tag
                return ""
        self._mode = _Mode.CONTENT
        return buf

    def _in_reasoning(self, buf: str, out: list[Piece]) -> str:
        end = buf.find(self._close)
        if end >= 0:
            self._emit(out, REASONING, buf[:end])
            self._mode, self._strip_next = _Mode.CONTENT, True
            return buf[end + len(self._close) :]
        keep = _partial_suffix(buf, self._close)
        self._emit(out, REASONING, buf[: len(buf) - keep])
        self._pending = buf[len(buf) - keep :]
        return ""

    def _emit(self, out: list[Piece], channel: str, text: str) -> None:
        if self._strip_next:
            text = text.lstrip()
            if not text:
                return
            self._strip_next = False
        if not text:
            return
        if out and out[-1][0] == channel:
            out[-1] = (channel, out[-1][1] + text)
        else:
            out.append((channel, text))


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a proper beginning of `tag`."""
    start = text.rfind("<", max(0, len(text) - len(tag) + 1))
    if start < 0:
        return 0
    return len(text) - start if tag.startswith(text[start:]) else 0
