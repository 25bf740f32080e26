"""Collections: named folders indexed for chats to search (the `collections.*` commands).

The documents plugin provides the commands; their params and results live here so that
every front end builds and reads them typed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from .base import CommandParams, Record
from .documents import Source

COLLECTION_NAME = r"^[\w][\w .-]{0,63}$"


class CollectionState(StrEnum):
    READY = "ready"  # indexed as of the last scan
    QUEUED = "queued"  # waiting for another collection's indexing
    SCANNING = "scanning"  # listing the folder
    INDEXING = "indexing"  # reading changed files, then embedding their passages
    PAUSED = "paused"
    CANCELLED = "cancelled"  # stopped; what was indexed stays and the next run goes on from there
    ERROR = "error"  # the last run failed (`message` says why); the index is as it was


class CollectionInfo(Record):
    name: str
    folder: str
    state: CollectionState
    files: int = Field(0, description="Files indexed with text.")
    skipped: int = Field(
        0, description="Files left out: no text (binary, scanned, encrypted...) or too large."
    )
    chunks: int = Field(0, description="Passages in the index.")
    embedded: int = Field(0, description="Passages with a vector of the current embedding model.")
    files_total: int = Field(0, description="While indexing: changed files to read in this run.")
    files_done: int = Field(0, description="While indexing: of those, read so far.")
    to_embed: int = Field(0, description="While indexing: passages to embed in this run.")
    embedded_now: int = Field(0, description="While indexing: of those, embedded so far.")
    progress: float | None = Field(None, description="0..1 while indexing.")
    current: str = Field("", description="The file being read.")
    message: str | None = Field(None, description="Why the last run failed or stopped, or a warning.")
    indexed_at: datetime | None = Field(None, description="When the last complete run ended.")


class CollectionList(Record):
    collections: list[CollectionInfo]
    embedding_model: str = Field(description="The model passages are embedded with; empty: keywords only.")


class AddCollectionParams(CommandParams):
    name: str = Field(pattern=COLLECTION_NAME, description="Short unique name, like `notes`.")
    folder: str = Field(min_length=1, description="The folder to index (with its subfolders).")


class CollectionParams(CommandParams):
    name: str = Field(description="The collection's name (see collections.list).")


class IndexParams(CommandParams):
    name: str = Field(description="The collection's name (see collections.list).")
    full: bool = Field(False, description="Read every file again, not only changed ones.")
    wait: bool = Field(True, description="Stream progress until the run ends; false returns at once.")


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    KEYWORD = "keyword"
    VECTOR = "vector"


class CollectionSearchParams(CommandParams):
    text: str = Field(min_length=1, max_length=2000, description="What to look for: a question or words.")
    collections: list[str] = Field(min_length=1, description="Collections to search.")
    limit: int = Field(6, ge=1, le=100, description="Passages to return.")
    mode: SearchMode = Field(
        SearchMode.HYBRID, description="hybrid (keywords and meaning, fused), keyword or vector."
    )


class CollectionSearchResult(Record):
    sources: list[Source] = Field(description="Best first, numbered from 1.")


class FileProblem(Record):
    path: str = Field(description="Relative to the collection's folder.")
    problem: str


class CollectionProblems(Record):
    name: str
    problems: list[FileProblem] = Field(description="Files left out, and why (the first `limit`).")
    total: int = Field(description="Files left out in all.")


class ProblemsParams(CommandParams):
    name: str = Field(description="The collection's name.")
    limit: int = Field(100, ge=1, le=10_000, description="Files to list at most.")
