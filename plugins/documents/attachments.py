"""A file attached to a message: whole when it fits, else the passages most relevant to the question.

A file too large for its share of the prompt is indexed like a collection's file, in a
hidden collection keyed by the file's content hash, so a second question about the same
file is answered from what was read and embedded the first time (the 50 most recently
used files are kept). Its passages are ranked by the same hybrid search; what fits the
budget goes in, in the file's order; what budget is left is filled from the start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from llamadesk.core.errors import N_, Cancelled, UnreadableDocument
from llamadesk.core.models.collections import SearchMode
from llamadesk.core.models.commands import ProgressEvent
from llamadesk.core.models.documents import Attachment, AttachmentPart, DocumentText
from llamadesk.core.streaming import CancelToken, EventSink

from .chunking import Chunk, chunk_document, estimate_tokens
from .embedder import EmbeddingUnavailable, PassageEmbedder
from .index_rows import CollectionRow
from .indexer import EMBED_BATCH, Reader
from .retrieval import Retriever
from .settings import DocumentsSettings
from .store import IndexStore
from .vectors import to_blob

HIDDEN = ".attachments"  # a name no user collection can have (they cannot start with a dot)
KEEP_FILES = 50


class AttachmentReader:
    def __init__(
        self,
        store: IndexStore,
        read: Reader,
        embedder: PassageEmbedder,
        retriever: Retriever,
        settings: Callable[[], DocumentsSettings],
    ) -> None:
        self._store = store
        self._read = read
        self._embedder = embedder
        self._retriever = retriever
        self._settings = settings

    def attach(
        self, path: Path, question: str, budget: int, on_event: EventSink | None, token: CancelToken
    ) -> Attachment:
        settings = self._settings()
        document = self._read(path, settings.max_file_mb * 1_000_000)
        if document.problem is not None:
            raise UnreadableDocument(document.problem, path=str(path))
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        chunks = chunk_document(document)
        total = estimate_tokens(document.text)
        base = {
            "name": path.name,
            "path": str(path),
            "format": document.format,
            "size_bytes": len(data),
            "sha256": sha,
            "pages": document.pages,
            "chunks": len(chunks),
            "total_tokens": total,
        }
        if total <= budget:
            parts = [_part(chunk) for chunk in _sections_as_parts(document)]
            return Attachment(whole=True, parts=parts, tokens=total, **base)
        picked = self._relevant(path, sha, document, chunks, question, budget, on_event, token)
        parts = [_part(chunk) for chunk in picked]
        return Attachment(
            whole=False, parts=parts, tokens=sum(estimate_tokens(c.text) for c in picked), **base
        )

    def _relevant(
        self,
        path: Path,
        sha: str,
        document: DocumentText,
        chunks: list[Chunk],
        question: str,
        budget: int,
        on_event: EventSink | None,
        token: CancelToken,
    ) -> list[Chunk]:
        hidden = self._hidden()
        file_id = self._file_id(hidden, sha, document, chunks)
        mode = SearchMode.HYBRID
        if len(chunks) <= self._settings().attachment_embed_chunks:
            try:
                self._embed(hidden, file_id, path.name, len(chunks), on_event, token)
            except EmbeddingUnavailable:
                mode = SearchMode.KEYWORD
        else:
            mode = SearchMode.KEYWORD
        ranked = self._retriever.search([hidden.id], question, len(chunks), mode=mode, file_id=file_id)
        by_id = {row.id: row.ord for row in self._store.file_chunks(file_id)}
        order = [by_id[chunk_id] for chunk_id, _score in ranked if chunk_id in by_id]
        order += [index for index in range(len(chunks)) if index not in set(order)]
        chosen: list[int] = []
        used = 0
        for index in order:
            cost = estimate_tokens(chunks[index].text)
            if used + cost > budget:
                continue
            chosen.append(index)
            used += cost
        self._store.mark_used(file_id)
        return [chunks[index] for index in sorted(chosen)]

    def _hidden(self) -> CollectionRow:
        row = self._store.collection(HIDDEN)
        if row is None:
            try:
                row = self._store.add_collection(HIDDEN, "", hidden=True)
            except Exception:  # made by another thread or process meanwhile
                row = self._store.collection(HIDDEN)
                if row is None:
                    raise
        return row

    def _file_id(self, hidden: CollectionRow, sha: str, document: DocumentText, chunks: list[Chunk]) -> int:
        known = self._store.files(hidden.id).get(sha)
        if known is not None and known.chunks == len(chunks):
            return known.id
        file_id, _ids = self._store.save_file(
            hidden.id, sha, size=document.size_bytes, mtime_ns=0, sha256=sha, format=document.format,
            pages=document.pages, problem=None, chunks=chunks,
        )  # fmt: skip
        self._store.trim_hidden(hidden.id, KEEP_FILES)
        return file_id

    def _embed(
        self,
        hidden: CollectionRow,
        file_id: int,
        name: str,
        total: int,
        on_event: EventSink | None,
        token: CancelToken,
    ) -> None:
        model = self._embedder.model
        if not model:
            raise EmbeddingUnavailable("no embedding model is set")
        done = total - len(self._store.unembedded(hidden.id, model, total, file_id))
        while True:
            if token.cancelled:
                raise Cancelled(N_("cancelled while reading the attached file"))
            batch = self._store.unembedded(hidden.id, model, EMBED_BATCH, file_id)
            if not batch:
                return
            if on_event is not None:
                on_event(ProgressEvent(done=done, total=total, message=f"reading {name}"))
            vectors = self._embedder.embed([text for _id, text in batch], model)
            self._store.save_vectors(
                hidden.id, model, [(id_, to_blob(v)) for (id_, _t), v in zip(batch, vectors, strict=True)]
            )
            done += len(batch)


def _sections_as_parts(document: DocumentText) -> list[Chunk]:
    """The whole text as parts: one per section (a PDF's pages), with its lines."""
    parts = []
    for section in document.sections:
        end = section.line + section.text.rstrip("\n").count("\n") if section.line is not None else None
        parts.append(Chunk(section.text.strip("\n"), section.page, section.line, end))
    return parts


def _part(chunk: Chunk) -> AttachmentPart:
    return AttachmentPart(
        text=chunk.text, page=chunk.page, line_start=chunk.line_start, line_end=chunk.line_end
    )
