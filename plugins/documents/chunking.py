"""Cutting a document into passages small enough to embed and to cite, each with its place.

Paragraphs are kept whole where they fit and packed together up to `CHUNK_CHARS`; a
longer paragraph is cut at line ends, then at sentence ends, then at spaces. A passage
never spans two pages, so "page 3" is exact. Lines are counted from each section's first
line, so a passage of a text file knows the lines it covers.

About 1,000 characters is ~250 tokens: small enough that a retrieved passage is about
one thing (a small model's embedding of a long passage blurs), large enough to hold a
fact with its context, and six of them fit a 4,096-token context beside the question.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from llamadesk.core.models.documents import DocumentText, TextSection

CHUNK_CHARS = 1000
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


@dataclass(frozen=True)
class Chunk:
    text: str
    page: int | None = None
    line_start: int | None = None
    line_end: int | None = None


def chunk_document(document: DocumentText, size: int = CHUNK_CHARS) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in document.sections:
        chunks.extend(_pack(_pieces(section, size), size))
    return chunks


def estimate_tokens(text: str) -> int:
    """Generous, like the chat's own estimate (about 3 characters a token): a passage counted
    short could overflow the context."""
    return len(text) // 3 + 1


def _pack(pieces: Iterator[Chunk], size: int) -> Iterator[Chunk]:
    """Consecutive pieces of one section joined up to `size` characters."""
    current: Chunk | None = None
    for piece in pieces:
        if current is not None and len(current.text) + 2 + len(piece.text) <= size:
            current = Chunk(
                text=current.text + "\n\n" + piece.text,
                page=current.page,
                line_start=current.line_start,
                line_end=piece.line_end,
            )
            continue
        if current is not None:
            yield current
        current = piece
    if current is not None:
        yield current


def _pieces(section: TextSection, size: int) -> Iterator[Chunk]:
    """The section's paragraphs, each with its lines; long ones cut to `size`."""
    text, first_line = section.text, section.line
    position, line = 0, first_line
    for paragraph_end, next_start in _paragraph_spans(text):
        raw = text[position:paragraph_end]
        stripped = raw.strip()
        if stripped and line is not None:
            start = line + raw.count("\n", 0, len(raw) - len(raw.lstrip()))
            yield from _cut(stripped, section.page, start, size)
        elif stripped:
            yield from _cut(stripped, section.page, None, size)
        if line is not None:
            line += text.count("\n", position, next_start)
        position = next_start


def _paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    """(end of a paragraph, start of the next) for each paragraph, the last ending the text."""
    for match in PARAGRAPH_BREAK.finditer(text):
        yield match.start(), match.end()
    yield len(text), len(text)


def _cut(paragraph: str, page: int | None, line: int | None, size: int) -> Iterator[Chunk]:
    """A paragraph as pieces of at most `size` characters: whole lines, sentences, or words."""
    if len(paragraph) <= size:
        end = line + paragraph.count("\n") if line is not None else None
        yield Chunk(paragraph, page, line, end)
        return
    lines = paragraph.split("\n")
    if len(lines) > 1:
        yield from _pack(_lines_as_pieces(lines, page, line, size), size)
        return
    for part in _split_line(paragraph, size):
        yield Chunk(part, page, line, line)


def _lines_as_pieces(lines: list[str], page: int | None, line: int | None, size: int) -> Iterator[Chunk]:
    for offset, text in enumerate(lines):
        number = line + offset if line is not None else None
        if not text.strip():
            continue
        for part in _split_line(text.rstrip(), size):
            yield Chunk(part, page, number, number)


def _split_line(text: str, size: int) -> Iterator[str]:
    """One long line cut at sentence ends where it can, else at spaces, else anywhere."""
    if len(text) <= size:
        yield text
        return
    current = ""
    for sentence in SENTENCE_END.split(text):
        for word_group in _words_within(sentence, size):
            if current and len(current) + 1 + len(word_group) > size:
                yield current
                current = word_group
            else:
                current = f"{current} {word_group}" if current else word_group
    if current:
        yield current


def _words_within(sentence: str, size: int) -> Iterator[str]:
    if len(sentence) <= size:
        yield sentence
        return
    current = ""
    for word in sentence.split(" "):
        while len(word) > size:  # a "word" longer than a passage (base64, minified code)
            if current:
                yield current
                current = ""
            yield word[:size]
            word = word[size:]
        if current and len(current) + 1 + len(word) > size:
            yield current
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        yield current
