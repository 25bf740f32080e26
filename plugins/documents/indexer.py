"""Indexing collections in the background: one run at a time, incremental, pausable, cancellable.

A run lists the folder, drops files that are gone, and reads only files whose size or
modification time changed and whose content hash then differs (a file saved again
unchanged is not read; a renamed or copied file's passages and vectors are copied). It
then embeds the passages that have no vector of the current embedding model, in small
batches, so a new model or an interrupted run picks up where things stand. What each
file and batch did is committed at once: cancelling, pausing or a crash loses nothing.

Pausing stops the run like cancelling does and keeps the collection out of the queue
until it is resumed; resuming starts a run that skips what is done.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from llamadesk.core.models.collections import CollectionState
from llamadesk.core.models.documents import DocumentText
from llamadesk.core.models.units import size_label

from .chunking import chunk_document
from .embedder import EmbeddingUnavailable, PassageEmbedder
from .index_rows import CollectionRow, FileRow
from .scanner import FoundFile, file_sha256, walk
from .settings import DocumentsSettings
from .store import IndexStore
from .vectors import to_blob

log = logging.getLogger(__name__)

EMBED_BATCH = 8  # passages per runtime.embed call: progress and cancelling stay responsive
RESCAN_DELAY_S = 30.0  # the first automatic rescan waits, so a short command-line run starts none

Reader = Callable[[Path, int], DocumentText]


@dataclass(frozen=True)
class RunStatus:
    """What a run is doing now (kept in memory; the counts of what is indexed are in the store)."""

    state: CollectionState
    files_total: int = 0
    files_done: int = 0
    to_embed: int = 0
    embedded_now: int = 0
    current: str = ""
    message: str | None = None

    @property
    def progress(self) -> float | None:
        if self.state is not CollectionState.INDEXING:
            return None
        work = self.files_total + self.to_embed
        return (self.files_done + self.embedded_now) / work if work else 0.0


class _Stopped(Exception):
    """The run was cancelled or paused."""


class _Failed(Exception):
    """The run cannot go on (the folder is gone); the index stays as it was."""


@dataclass
class _Run:
    collection_id: int
    name: str
    full: bool
    stop: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)


class Indexer:
    def __init__(
        self,
        store: IndexStore,
        read: Reader,
        embedder: PassageEmbedder,
        settings: Callable[[], DocumentsSettings],
    ) -> None:
        self._store = store
        self._read = read
        self._embedder = embedder
        self._settings = settings
        self._owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"  # this process, for the lease
        self._queue: queue.Queue[_Run | None] = queue.Queue()
        self._lock = threading.Lock()
        self._status: dict[int, RunStatus] = {}
        self._runs: dict[int, _Run] = {}  # queued or running
        self._paused: set[int] = set()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._rescans: threading.Thread | None = None
        self.listeners: list[Callable[[int, RunStatus], None]] = []

    # -- control

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="documents-indexer", daemon=True)
                self._thread.start()

    def start_rescans(self) -> None:
        """Check every collection for changes now and then (setting `rescan_minutes`)."""
        self.start()
        with self._lock:
            if self._rescans is None:
                self._rescans = threading.Thread(
                    target=self._rescan_loop, name="documents-rescan", daemon=True
                )
                self._rescans.start()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            for run in self._runs.values():
                run.stop.set()
        self._queue.put(None)
        for thread in (self._thread, self._rescans):
            if thread is not None:
                thread.join(timeout=10)

    def enqueue(self, collection: CollectionRow, *, full: bool = False) -> threading.Event:
        """Index the collection (unless it is queued or running already); an event set when the
        run ends."""
        self.start()
        with self._lock:
            self._paused.discard(collection.id)
            run = self._runs.get(collection.id)
            if run is not None and not run.stop.is_set():
                return run.ended
            # A run still stopping is not joined: this one queues behind it.
            run = self._runs[collection.id] = _Run(collection.id, collection.name, full)
        self._set(collection.id, RunStatus(CollectionState.QUEUED))
        self._queue.put(run)
        return run.ended

    def cancel(self, collection_id: int, *, pause: bool = False) -> bool:
        """Stop the collection's run (queued or running); True if one was. Paused, it stays out
        of the queue until `enqueue`d again."""
        with self._lock:
            run = self._runs.get(collection_id)
            if pause:
                self._paused.add(collection_id)
        if pause and run is None:
            self._set(collection_id, RunStatus(CollectionState.PAUSED))
        if run is None:
            return False
        run.stop.set()
        return True

    def is_paused(self, collection_id: int) -> bool:
        with self._lock:
            return collection_id in self._paused

    def forget(self, collection_id: int) -> None:
        """The collection was removed: stop its run and drop its status."""
        self.cancel(collection_id)
        with self._lock:
            run = self._runs.get(collection_id)
        if run is not None:
            run.ended.wait(timeout=30)
        with self._lock:
            self._status.pop(collection_id, None)
            self._paused.discard(collection_id)

    def status(self, collection_id: int) -> RunStatus | None:
        with self._lock:
            return self._status.get(collection_id)

    def _set(self, collection_id: int, status: RunStatus) -> None:
        with self._lock:
            self._status[collection_id] = status
            listeners = list(self.listeners)
        for listener in listeners:
            listener(collection_id, status)

    # -- the worker thread

    def _work(self) -> None:
        while not self._closed.is_set():
            run = self._queue.get()
            if run is None:
                return
            try:
                self._index(run)
            except Exception as exc:  # a bug or a broken store: reported on the collection, not fatal
                log.exception("indexing %s failed", run.name)
                self._set(
                    run.collection_id, RunStatus(CollectionState.ERROR, message=f"indexing failed: {exc}")
                )
            finally:
                with self._lock:
                    if self._runs.get(run.collection_id) is run:
                        del self._runs[run.collection_id]
                run.ended.set()

    def _rescan_loop(self) -> None:
        wait = RESCAN_DELAY_S
        while not self._closed.wait(wait):
            minutes = self._settings().rescan_minutes
            wait = 60.0 * minutes if minutes else 60.0
            if not minutes:
                continue
            for collection in self._store.collections():
                if not self.is_paused(collection.id):
                    self.enqueue(collection)

    def _index(self, run: _Run) -> None:
        collection = self._store.collection_by_id(run.collection_id)
        if collection is None:
            return
        if run.stop.is_set():
            self._stopped(run)
            return
        if not self._store.take_lease(collection.id, self._owner):
            self._set(
                collection.id,
                RunStatus(CollectionState.READY, message="another llamadesk process is indexing it"),
            )
            return
        try:
            note = self._run(run, collection)
        except _Stopped:
            self._stopped(run)
        except _Failed as exc:
            self._set(collection.id, RunStatus(CollectionState.ERROR, message=str(exc)))
        else:
            self._store.finish_indexing(collection.id, note)
            self._set(collection.id, RunStatus(CollectionState.READY, message=note))
        finally:
            self._store.release_lease(collection.id, self._owner)

    def _stopped(self, run: _Run) -> None:
        paused = self.is_paused(run.collection_id)
        state = CollectionState.PAUSED if paused else CollectionState.CANCELLED
        message = "paused; resume to go on" if paused else "cancelled; what was indexed is kept"
        self._set(run.collection_id, RunStatus(state, message=message))

    def _run(self, run: _Run, collection: CollectionRow) -> str | None:
        """One run; the note to show afterwards (what was left out), if any."""
        settings = self._settings()
        folder = Path(collection.folder)
        if not folder.is_dir():
            raise _Failed(f"the folder {folder} is not there (unplugged?); the index is kept as it was")
        status = RunStatus(CollectionState.SCANNING, current=str(folder))
        self._set(collection.id, status)
        found: dict[str, FoundFile] = {}
        for file in walk(folder, frozenset(settings.exclude)):
            if run.stop.is_set():
                raise _Stopped
            if len(found) >= settings.max_files:
                break
            found[file.path] = file
            if len(found) % 500 == 0:
                self._set(collection.id, replace(status, files_total=len(found)))
        notes = []
        if len(found) >= settings.max_files:
            notes.append(f"only the first {settings.max_files:,} files are indexed (documents.max_files)")
        known = self._store.files(collection.id)
        gone = [row.id for path, row in known.items() if path not in found]
        if gone:
            self._store.delete_files(collection.id, gone)
        changed = [
            file
            for path, file in found.items()
            if run.full
            or path not in known
            or (known[path].size, known[path].mtime_ns) != (file.size, file.mtime_ns)
        ]
        status = RunStatus(CollectionState.INDEXING, files_total=len(changed), to_embed=0)
        self._set(collection.id, status)
        max_bytes = settings.max_file_mb * 1_000_000
        for done, file in enumerate(changed):
            if run.stop.is_set():
                raise _Stopped
            self._set(collection.id, replace(status, files_done=done, current=file.path))
            self._index_file(run, collection, folder, file, known.get(file.path), max_bytes)
            self._store.take_lease(collection.id, self._owner)  # renewed
        status = replace(status, files_done=len(changed), current="")
        embed_note = self._embed(run, collection.id, status)
        if embed_note:
            notes.append(embed_note)
        return "; ".join(notes) or None

    def _index_file(
        self,
        run: _Run,
        collection: CollectionRow,
        folder: Path,
        file: FoundFile,
        previous: FileRow | None,
        max_bytes: int,
    ) -> None:
        path = folder / file.path
        if file.size > max_bytes:
            # Not even hashed: reading a 2 GB file only to leave it out would hold the run up.
            self._store.save_file(
                collection.id, file.path, size=file.size, mtime_ns=file.mtime_ns, sha256="", format="",
                pages=None, problem=f"{path.name} is {size_label(file.size)}, over the "
                f"{max_bytes // 1_000_000} MB limit (documents.max_file_mb)", chunks=[],
            )  # fmt: skip
            return
        try:
            sha = file_sha256(path, run.stop.is_set)
        except OSError as exc:
            self._store.save_file(
                collection.id, file.path, size=file.size, mtime_ns=file.mtime_ns, sha256="", format="",
                pages=None, problem=f"{path.name} could not be read: {exc.strerror}", chunks=[],
            )  # fmt: skip
            return
        if sha is None:
            raise _Stopped
        if previous is not None and previous.sha256 == sha and not run.full:
            self._store.touch_file(previous.id, file.size, file.mtime_ns)
            return
        source = None if run.full else self._store.same_content(sha)
        if source is not None:
            self._store.copy_file(source, collection.id, file.path, size=file.size, mtime_ns=file.mtime_ns)
            return
        try:
            document = self._read(path, max_bytes)
        except Exception as exc:  # vanished or unreadable since it was listed
            message = getattr(exc, "message", None) or str(exc)
            document = DocumentText(path=str(path), format="unknown", problem=message)
        chunks = chunk_document(document) if document.problem is None else []
        self._store.save_file(
            collection.id, file.path, size=file.size, mtime_ns=file.mtime_ns, sha256=sha,
            format=document.format, pages=document.pages, problem=document.problem, chunks=chunks,
        )  # fmt: skip

    def _embed(self, run: _Run, collection_id: int, status: RunStatus) -> str | None:
        """Embed the collection's passages that lack a vector of the current model; a note when
        search by meaning is off or failed."""
        model = self._embedder.model
        if not model:
            return None
        counts = self._store.counts(collection_id, model)
        status = replace(status, to_embed=counts.chunks - counts.embedded, embedded_now=0)
        self._set(collection_id, status)
        while True:
            if run.stop.is_set():
                raise _Stopped
            batch = self._store.unembedded(collection_id, model, EMBED_BATCH)
            if not batch:
                return None
            try:
                vectors = self._embedder.embed([text for _id, text in batch], model)
            except EmbeddingUnavailable as exc:
                log.warning("embedding %s with %s failed: %s", run.name, model, exc)
                return f"search by meaning is off: {exc}"
            self._store.save_vectors(
                collection_id,
                model,
                [(id_, to_blob(v)) for (id_, _text), v in zip(batch, vectors, strict=True)],
            )
            status = replace(status, embedded_now=status.embedded_now + len(batch))
            self._set(collection_id, status)
