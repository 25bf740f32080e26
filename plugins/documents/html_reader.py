"""HTML, text only: what a browser would show as text, each block with the source line it starts on.

The standard library's tolerant parser is enough for this: scripts, styles and other
non-text elements are left out, block elements end a paragraph, entities are decoded.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from llamadesk.core.errors import N_
from llamadesk.core.models.documents import DocumentText, TextSection, unreadable
from llamadesk.core.models.phrase import phrase

from .text_reader import decode

SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe", "object"})
BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "li", "ul", "ol",
        "table", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "br", "hr",
        "dt", "dd", "figcaption", "title", "body",
    }
)  # fmt: skip
SPACES = re.compile(r"[ \t\r\n\f\v]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[TextSection] = []
        self._parts: list[str] = []
        self._line: int | None = None
        self._skipping = 0
        self._title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED and tag != "head":
            self._skipping += 1
        elif tag in BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and tag != "head":
            self._skipping = max(0, self._skipping - 1)
        elif tag in BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skipping or not data.strip():
            if data and self._parts:
                self._parts.append(" ")
            return
        if self._line is None:
            self._line = self.getpos()[0]
        self._parts.append(data)

    def _flush(self) -> None:
        text = SPACES.sub(" ", "".join(self._parts)).strip()
        if text:
            self.sections.append(TextSection(text=text, line=self._line))
        self._parts, self._line = [], None

    def close(self) -> None:
        super().close()
        self._flush()


def read_html(path: Path, size: int) -> DocumentText:
    collector = _TextCollector()
    collector.feed(decode(path.read_bytes()))
    collector.close()
    sections = collector.sections
    problem = {} if sections else unreadable(phrase(N_("{name} has no text"), name=path.name))
    return DocumentText(path=str(path), format="html", sections=sections, size_bytes=size, **problem)
