"""The rows of `documents.db` as the index store hands them out, and the columns they are
read from: plain frozen records, no SQL beyond the column lists."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CollectionRow:
    id: int
    name: str
    folder: str
    hidden: bool
    created_at: float
    indexed_at: float | None
    version: int
    note: str | None


@dataclass(frozen=True)
class FileRow:
    id: int
    path: str
    size: int
    mtime_ns: int
    sha256: str
    problem: str | None
    chunks: int


@dataclass(frozen=True)
class ChunkRow:
    id: int
    file_id: int
    collection: str
    folder: str
    hidden: bool
    path: str
    ord: int
    text: str
    page: int | None
    line_start: int | None
    line_end: int | None


@dataclass(frozen=True)
class Counts:
    files: int  # with text
    skipped: int  # without (a problem)
    chunks: int
    embedded: int  # chunks with a vector of the current model


COLLECTION_COLUMNS = "id, name, folder, hidden, created_at, indexed_at, version, note"
CHUNK_COLUMNS = (
    "c.id, c.file_id, k.name, k.folder, k.hidden, f.path, c.ord, c.text, c.page, c.line_start, c.line_end"
)
CHUNK_FROM = "chunks AS c JOIN files AS f ON f.id = c.file_id JOIN collections AS k ON k.id = c.collection_id"


def collection_row(row: tuple[object, ...]) -> CollectionRow:
    id_, name, folder, hidden, created_at, indexed_at, version, note = row
    return CollectionRow(
        id=int(id_),  # type: ignore[call-overload]
        name=str(name),
        folder=str(folder),
        hidden=bool(hidden),
        created_at=float(created_at),  # type: ignore[arg-type]
        indexed_at=float(indexed_at) if indexed_at is not None else None,  # type: ignore[arg-type]
        version=int(version),  # type: ignore[call-overload]
        note=str(note) if note is not None else None,
    )


def chunk_row(row: tuple[object, ...]) -> ChunkRow:
    return ChunkRow(*row)  # type: ignore[arg-type]
