"""Documents as readers give them, and what of them goes into a chat: attachments and sources.

A reader (the `read_document` hook) turns a file into `DocumentText`: its text in
order, each stretch with where it is (page, first line). A chat message may carry
`Attachment`s (the text of a file that was sent with it, kept so that a regenerated
answer sees the same), and an answer lists the `Source`s retrieved for it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import CommandParams, Record
from .phrase import Phrase
from .units import size_label


class TextSection(Record):
    """A stretch of a document's text and where it is."""

    text: str
    page: int | None = Field(None, description="1-based page, for formats with pages (PDF).")
    line: int | None = Field(None, description="1-based line the text starts on, for text formats.")


def unreadable(why: Phrase) -> dict[str, Any]:
    """DocumentText's fields saying why a file gave no text: `DocumentText(..., **unreadable(p))`."""
    return {"problem": why.english(), "problem_parts": why}


class DocumentText(Record):
    """What a reader made of a file: its text in order with locations, or why it has none.

    `problem` is set when nothing could be read (an encrypted or scanned-only PDF, a
    binary file, a file over the size limit): one sentence for the user. A file with
    some text and some trouble (a page that failed) has sections and `warnings`.
    """

    path: str = Field(description="The file, as given.")
    format: str = Field(description="What the reader took it for: text, markdown, code, html, pdf, docx...")
    sections: list[TextSection] = Field(default_factory=list)
    pages: int | None = Field(None, description="Pages in the file, for formats with pages.")
    size_bytes: int = Field(0, description="The file's size.")
    problem: str | None = Field(None, description="Why no text could be read, for the user.")
    problem_parts: Phrase | None = Field(None, description="`problem` in parts, for the window to translate.")
    warnings: list[str] = Field(default_factory=list, description="What was read only in part, and why.")

    @property
    def text(self) -> str:
        return "\n\n".join(section.text for section in self.sections)


class ReadDocumentParams(CommandParams):
    path: str = Field(min_length=1, description="The file to read.")
    max_bytes: int = Field(
        64_000_000, ge=1, description="Larger files are not read (the result says so in `problem`)."
    )


class Location(Record):
    """Where a passage is in its file: a page, or lines (either may be unknown)."""

    page: int | None = Field(None, description="1-based page.")
    line_start: int | None = Field(None, description="First line, 1-based.")
    line_end: int | None = Field(None, description="Last line, 1-based.")

    def label(self) -> str:
        """`page 3`, `lines 10-24`, `line 7`, or empty."""
        if self.page is not None:
            return f"page {self.page}"
        if self.line_start is not None and self.line_end not in (None, self.line_start):
            return f"lines {self.line_start}-{self.line_end}"
        return f"line {self.line_start}" if self.line_start is not None else ""


class AttachmentPart(Location):
    """A passage of an attached file that went into the prompt."""

    text: str


class Attachment(Record):
    """A file sent with a message: what of it the model saw, kept with the message."""

    name: str = Field(description="The file's name.")
    path: str = Field(description="Where it was read from (it is not read again).")
    format: str = Field(description="text, markdown, code, html, pdf, docx...")
    size_bytes: int = 0
    sha256: str = Field("", description="Of the file's bytes when it was read.")
    pages: int | None = Field(None, description="Pages, for formats with pages.")
    whole: bool = Field(description="The whole text went in; otherwise only the passages in `parts`.")
    parts: list[AttachmentPart] = Field(description="What the model saw, in the file's order.")
    chunks: int = Field(0, description="Passages the file was split into, when it did not fit whole.")
    tokens: int = Field(0, description="Tokens its text takes in the prompt.")
    total_tokens: int = Field(0, description="Tokens the whole file would take (estimated).")

    @property
    def text(self) -> str:
        return "\n\n".join(part.text for part in self.parts)

    def chip(self) -> str:
        """What a message shows: `report.pdf · 12 pages · 1,830 tokens (3 of 40 passages)`."""
        bits = [self.name]
        if self.pages:
            bits.append(f"{self.pages} page" + ("s" if self.pages != 1 else ""))
        else:
            bits.append(size_label(self.size_bytes))
        used = f"{self.tokens:,} tokens"
        if not self.whole:
            used += f" ({len(self.parts)} of {self.chunks} passages)"
        bits.append(used)
        return " · ".join(bits)


class Source(Location):
    """A passage retrieved for an answer, cited in the prompt as [number]."""

    number: int = Field(description="How the prompt cites it: [number].")
    collection: str | None = Field(None, description="The collection it came from; None for an attachment.")
    path: str = Field(description="The file.")
    name: str = Field(description="The file's name, or its path within the collection.")
    text: str = Field(description="The passage.")
    score: float = Field(0.0, description="Fused rank score (higher is more relevant).")
    chunk_id: int | None = Field(None, description="The passage's id in its index.")

    def citation(self) -> str:
        """`[2] notes/plan.md, lines 10-24`."""
        where = self.label()
        return f"[{self.number}] {self.name}" + (f", {where}" if where else "")
