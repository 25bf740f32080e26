"""`DocumentLibrary`: collections, their indexing and search, and files attached to messages.

It is the document index the chat uses (`core/interfaces/document_index.py`) and what
the `collections.*` commands call. Files are only ever read: removing a collection
deletes its index, never its folder.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from llamadesk.core.errors import N_, AlreadyExists, Cancelled, InvalidParams, NotFound
from llamadesk.core.models.collections import (
    CollectionInfo,
    CollectionList,
    CollectionProblems,
    CollectionState,
    FileProblem,
    SearchMode,
)
from llamadesk.core.models.documents import Attachment, Source
from llamadesk.core.streaming import CancelToken, EventSink

from .attachments import AttachmentReader
from .chunking import estimate_tokens
from .embedder import EmbeddingUnavailable, PassageEmbedder
from .index_rows import ChunkRow, CollectionRow
from .indexer import Indexer, Reader
from .retrieval import Retriever
from .settings import DocumentsSettings
from .store import IndexStore
from .vectors import VectorCache

log = logging.getLogger(__name__)

PASSAGE_OVERHEAD_TOKENS = 16  # the citation line above each passage in the prompt


class DocumentLibrary:
    def __init__(
        self,
        db_path: Path,
        read: Reader,
        embedder: PassageEmbedder,
        settings: Callable[[], DocumentsSettings],
    ) -> None:
        self.store = IndexStore(db_path)
        self._settings = settings
        self.embedder = embedder
        self.vectors = VectorCache(self.store)
        self.retriever = Retriever(self.store, self.vectors, self._embed_query, lambda: embedder.model)
        self.indexer = Indexer(self.store, read, embedder, settings)
        self._attachments = AttachmentReader(self.store, read, embedder, self.retriever, settings)
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        self._on_close: list[Callable[[], None]] = []

    @property
    def notices(self) -> list[str]:
        return self.store.notices

    def on_close(self, callback: Callable[[], None]) -> None:
        self._on_close.append(callback)

    def close(self) -> None:
        for callback in self._on_close:
            callback()
        self.indexer.close()
        self.store.close()

    def reembed_all(self) -> None:
        """The embedding model changed: index every collection not paused again (only the
        vectors are made again; unchanged files are not read)."""
        for row in self.store.collections():
            self.vectors.forget(row.id)
            if not self.indexer.is_paused(row.id):
                self.indexer.enqueue(row)

    # -- the chat's side (DocumentIndex)

    def gather(
        self,
        files: list[str],
        collections: list[str],
        question: str,
        prompt_tokens: int,
        on_event: EventSink | None,
        token: CancelToken,
    ) -> tuple[list[Attachment], list[Source]]:
        rows = [self.row(name) for name in collections]  # an unknown name fails before any work
        budget = int(prompt_tokens * self._settings().context_share)
        # Files were chosen for this message: they share the budget (half of it when
        # collections are searched too); the passages get what the files leave.
        file_budget = (budget // 2 if rows else budget) // max(1, len(files))
        attachments = []
        for path in files:
            if token.cancelled:
                raise Cancelled(N_("cancelled while reading the attached files"))
            attachments.append(self.attach(path, question, file_budget, on_event, token))
        left = budget - sum(attachment.tokens for attachment in attachments)
        sources: list[Source] = []
        if rows and left > 0:
            hits = self.retriever.search([row.id for row in rows], question, self._settings().passages)
            sources = self._sources(hits, left)
        return attachments, sources

    def attach(
        self, path: str, question: str, budget_tokens: int, on_event: EventSink | None, token: CancelToken
    ) -> Attachment:
        return self._attachments.attach(Path(path).expanduser(), question, budget_tokens, on_event, token)

    # -- collections

    def add(self, name: str, folder: str) -> CollectionInfo:
        path = Path(folder).expanduser()
        if not path.is_dir():
            raise InvalidParams(N_("{folder} is not a folder"), folder=folder)
        if self.store.collection(name) is not None:
            raise AlreadyExists(
                N_("a collection named {name!r} exists already; see `collections.list`"), name=name
            )
        row = self.store.add_collection(name, str(path.resolve()))
        self.indexer.enqueue(row)
        return self.info(row)

    def remove(self, name: str) -> None:
        """Delete the collection's index; the folder and its files are not touched."""
        row = self.row(name)
        self.indexer.forget(row.id)
        self.store.delete_collection(row.id)
        self.vectors.forget(row.id)

    def index(self, name: str, *, full: bool = False) -> threading.Event:
        return self.indexer.enqueue(self.row(name), full=full)

    def pause(self, name: str) -> CollectionInfo:
        row = self.row(name)
        self.indexer.cancel(row.id, pause=True)
        return self.info(row)

    def resume(self, name: str) -> CollectionInfo:
        row = self.row(name)
        self.indexer.enqueue(row)
        return self.info(row)

    def cancel(self, name: str) -> CollectionInfo:
        row = self.row(name)
        self.indexer.cancel(row.id)
        return self.info(row)

    def listing(self) -> CollectionList:
        return CollectionList(
            collections=[self.info(row) for row in self.store.collections()],
            embedding_model=self.embedder.model,
        )

    def get(self, name: str) -> CollectionInfo:
        return self.info(self.row(name))

    def problems(self, name: str, limit: int) -> CollectionProblems:
        row = self.row(name)
        counts = self.store.counts(row.id, self.embedder.model)
        return CollectionProblems(
            name=name,
            problems=[FileProblem(path=p, problem=why) for p, why in self.store.problems(row.id, limit)],
            total=counts.skipped,
        )

    def search(self, collections: Sequence[str], text: str, limit: int, mode: SearchMode) -> list[Source]:
        rows = [self.row(name) for name in collections]
        hits = self.retriever.search([row.id for row in rows], text, limit, mode=mode)
        return self._sources(hits, None)

    def row(self, name: str) -> CollectionRow:
        """A user's collection by name; NotFound for an unknown or hidden one."""
        row = self.store.collection(name)
        if row is None or row.hidden:
            raise NotFound(N_("no collection named {name!r}; see `collections.list`"), name=name)
        return row

    def info(self, row: CollectionRow) -> CollectionInfo:
        counts = self.store.counts(row.id, self.embedder.model)
        status = self.indexer.status(row.id)
        state = status.state if status is not None else CollectionState.READY
        if status is None and self.indexer.is_paused(row.id):
            state = CollectionState.PAUSED
        return CollectionInfo(
            name=row.name,
            folder=row.folder,
            state=state,
            files=counts.files,
            skipped=counts.skipped,
            chunks=counts.chunks,
            embedded=counts.embedded,
            files_total=status.files_total if status else 0,
            files_done=status.files_done if status else 0,
            to_embed=status.to_embed if status else 0,
            embedded_now=status.embedded_now if status else 0,
            progress=status.progress if status else None,
            current=status.current if status else "",
            message=(status.message if status and status.message else row.note),
            indexed_at=datetime.fromtimestamp(row.indexed_at, UTC) if row.indexed_at else None,
        )

    # -- internals

    def _embed_query(self, text: str) -> list[float] | None:
        try:
            return self.embedder.embed([text])[0]
        except EmbeddingUnavailable as exc:
            with self._lock:
                first = str(exc) not in self._warned
                self._warned.add(str(exc))
            if first:
                log.warning("searching by keywords only: %s", exc)
            return None

    def _sources(self, hits: list[tuple[int, float]], budget_tokens: int | None) -> list[Source]:
        rows = self.store.chunks([chunk_id for chunk_id, _score in hits])
        sources: list[Source] = []
        used = 0
        for chunk_id, score in hits:
            row = rows.get(chunk_id)
            if row is None:
                continue  # removed since it was ranked
            cost = estimate_tokens(row.text) + PASSAGE_OVERHEAD_TOKENS
            if budget_tokens is not None and sources and used + cost > budget_tokens:
                break
            used += cost
            sources.append(source_of(row, len(sources) + 1, score))
        return sources


def source_of(row: ChunkRow, number: int, score: float) -> Source:
    return Source(
        number=number,
        collection=row.collection,
        path=str(Path(row.folder) / row.path),
        name=row.path,
        text=row.text,
        score=round(score, 6),
        chunk_id=row.id,
        page=row.page,
        line_start=row.line_start,
        line_end=row.line_end,
    )
