"""A streaming answer split into frozen Markdown chunks and a live tail.

Re-rendering a whole growing message every frame costs more as it grows (a
single Label reached p99 64 ms at 3,000 tokens). Here a chunk is frozen as
soon as it can no longer change: at a blank line outside a code fence, right
after a closing fence, or every `CODE_CHUNK_LINES` lines inside a long fence
(the fence is re-opened for the next chunk). Only the tail is parsed and drawn
again on each flush, so the cost per frame stays flat however long the answer.
"""

from __future__ import annotations

import re

CODE_CHUNK_LINES = 24
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


class StreamingText:
    def __init__(self) -> None:
        self.text = ""
        self._scanned = 0  # offset of the first line not yet scanned
        self._chunk_start = 0  # offset where the unfrozen chunk begins
        self._chunk_prefix = ""  # a fence line re-opening code continued from a frozen chunk
        self._fence: str | None = None  # the fence marker while inside a code block
        self._fence_line = ""
        self._code_lines = 0

    def append(self, piece: str) -> list[str]:
        """Add text; return the Markdown sources of chunks that became final."""
        self.text += piece
        frozen: list[str] = []
        while True:
            end = self.text.find("\n", self._scanned)
            if end < 0:
                break
            line = self.text[self._scanned : end]
            line_end = end + 1
            self._scanned = line_end
            self._scan_line(line, line_end, frozen)
        return frozen

    def _freeze(self, upto: int, frozen: list[str], suffix: str = "") -> None:
        body = self.text[self._chunk_start : upto]
        if body.strip() or suffix:
            frozen.append(self._chunk_prefix + body + suffix)
        self._chunk_start = upto
        self._chunk_prefix = ""

    def _scan_line(self, line: str, line_end: int, frozen: list[str]) -> None:
        match = FENCE.match(line)
        if self._fence is not None:
            if match and match.group(1)[0] == self._fence[0] and len(match.group(1)) >= len(self._fence):
                self._fence = None
                self._freeze(line_end, frozen)
                return
            self._code_lines += 1
            if self._code_lines >= CODE_CHUNK_LINES:
                self._freeze(line_end, frozen, suffix=self._fence + "\n")
                self._chunk_prefix = self._fence_line + "\n"
                self._code_lines = 0
            return
        if match:
            line_start = line_end - len(line) - 1
            self._freeze(line_start, frozen)
            self._fence = match.group(1)
            self._fence_line = line
            self._code_lines = 0
            return
        if not line.strip():
            self._freeze(line_end, frozen)

    @property
    def tail(self) -> str:
        """The unfinished chunk, to be re-rendered on every flush."""
        return self._chunk_prefix + self.text[self._chunk_start :]

    def finish(self) -> list[str]:
        """End of stream: the tail becomes a frozen chunk too."""
        rest = self.tail
        self._chunk_start = len(self.text)
        self._chunk_prefix = ""
        return [rest] if rest.strip() else []
