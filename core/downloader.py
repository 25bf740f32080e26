"""One downloader for every model source: URL + headers + expected digest -> verified blob file.

How a blob is fetched:

- Big blobs are split into fixed segments fetched over several connections with
  `Range` requests, each written in place (`pwrite`) into one preallocated
  partial file. Small ones, and blobs of unknown size, are one stream. Each
  worker keeps its connection from one segment to the next, so a segment costs
  a round trip, not a handshake. (Smaller segments would let the hash follow
  the download more closely; on 2 cores, where hashing competes with the
  download for CPU, 16 MiB segments measured no faster than 64 MiB ones.)
- Progress survives a restart: beside the partial file a small state file holds
  how many bytes of each segment are on disk, updated after every chunk, and
  the segment layout (a partial resumes as it was cut, whatever today's sizes).
  A killed process re-fetches at most the chunk it was writing.
- sha256 is computed while the bytes arrive: the calling thread hashes the
  contiguous prefix as the workers extend it (reading it back from the page
  cache), so verifying costs no second pass. A mismatch deletes the partial and
  raises DigestMismatch; a match is fsynced and renamed into place atomically.
  A side thread syncs the partial as it grows (download_writeback.py), so that
  final fsync only waits for the last few MiB.
- Transient failures (connection errors, 5xx, 408, 429, a cut stream) are
  retried with exponential backoff from where the segment stopped. A request
  that waits the client's whole timeout without a byte is not: the server has
  stalled. Nor is a write that fails: a full disk (ENOSPC, EDQUOT) ends the
  download at once, keeping the partial only when the blob could ever fit.
- Cancel (a `threading.Event`) stops the workers, shuts their sockets, keeps
  the partial, and raises Cancelled.

Partials live outside Ollama's `blobs/` folder, which Ollama prunes of names it
does not know.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from .download_state import (
    MiB,
    ProcessLock,
    Segment,
    info_path,
    note_partial_owner,
    plan_segments,
    read_state,
    state_path,
)
from .download_transfer import BlobTransfer
from .http_client import HttpClient
from .models.download import DIGEST, BlobRequest

ProgressCallback = Callable[[int], None]

__all__ = ["DIGEST", "BlobDownloader", "BlobRequest", "ProgressCallback"]


class BlobDownloader:
    """Fetches blobs into place, verified. Thread-safe; one download per digest at a time."""

    # Shared by every downloader of the process (the library makes one per pull).
    _locks: ClassVar[dict[str, threading.Lock]] = {}
    _locks_guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        http: HttpClient,
        partial_dir: Path,
        *,
        connections: int = 4,
        segment_size: int = 64 * MiB,
        parallel_min_size: int = 32 * MiB,
        chunk_size: int = 1 * MiB,
        retries: int = 6,
        backoff: float = 0.5,
        store_dir: Path | None = None,
        ramp_every_s: float = 0.25,
        fast_link: float = 256e6,
    ) -> None:
        """`connections` is the most a blob gets: a transfer starts with one and adds one every
        `ramp_every_s` while it runs slower than `fast_link` bytes/s (0: all at once)."""
        self.http = http
        self.partial_dir = partial_dir
        self.store_dir = store_dir or partial_dir  # the folder messages about disk space name
        self.ramp_every_s = ramp_every_s
        self.fast_link = fast_link
        self.connections = max(1, connections)
        self.segment_size = segment_size
        self.parallel_min_size = parallel_min_size
        self.chunk_size = chunk_size
        self.retries = retries
        self.backoff = backoff

    def partial_path(self, digest_hex: str) -> Path:
        return self.partial_dir / f"sha256-{digest_hex}"

    def partial_bytes(self, request: BlobRequest) -> int:
        """Bytes of this blob already on disk from an earlier, unfinished download."""
        segments = self._load_segments(request, self.partial_path(request.hex))
        return sum(s.done for s in segments)

    def fetch(
        self,
        request: BlobRequest,
        dest: Path,
        *,
        on_bytes: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        label: str = "",
    ) -> Path:
        """Download `request` to `dest` (renamed into place only once its sha256 matches).

        `label` names the model it is for: in messages, and beside the partial so that
        `llamadesk list --partials` can say what a partial belongs to.
        """
        digest_hex = request.hex
        with self._lock_for(digest_hex):
            if dest.exists():
                return dest
            self.partial_dir.mkdir(parents=True, exist_ok=True)
            dest.parent.mkdir(parents=True, exist_ok=True)
            cancel = cancel or threading.Event()
            partial = self.partial_path(digest_hex)
            with ProcessLock(partial.with_name(partial.name + ".lock"), cancel, dest):
                if dest.exists():  # another process finished it while we waited
                    return dest
                if label:
                    note_partial_owner(partial, label, request.size)
                try:
                    BlobTransfer(self, request, partial, on_bytes, cancel, label).execute(dest)
                finally:
                    if not partial.exists():  # done, discarded, or never started: no note to leave
                        info_path(partial).unlink(missing_ok=True)
            return dest

    def discard_partial(self, digest_hex: str) -> None:
        path = self.partial_path(digest_hex)
        path.unlink(missing_ok=True)
        state_path(path).unlink(missing_ok=True)
        info_path(path).unlink(missing_ok=True)

    def _lock_for(self, digest_hex: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(digest_hex, threading.Lock())

    def _plan(self, size: int | None) -> list[Segment]:
        if size is None:
            return [Segment(0, None)]
        if size < self.parallel_min_size or self.connections == 1:
            return [Segment(0, size)]
        return plan_segments(size, self.segment_size)

    def _load_segments(self, request: BlobRequest, partial: Path) -> list[Segment]:
        """The plan for this blob, with what an earlier run left on disk."""
        segments = self._plan(request.size)
        if not partial.exists():
            return segments
        if request.size is None:  # one stream of unknown length: the file's length is the progress
            segments[0].done = partial.stat().st_size
            return segments
        # No state, or one that does not fit: start over rather than trust the bytes.
        return read_state(state_path(partial), request.size) or segments
