"""One downloader for every model source: URL + headers + expected digest -> verified blob file.

How a blob is fetched:

- Big blobs are split into fixed segments fetched over several connections with
  `Range` requests, each written in place (`pwrite`) into one preallocated
  partial file. Small ones, and blobs of unknown size, are one stream.
- Progress survives a restart: beside the partial file a small state file holds
  how many bytes of each segment are on disk, updated after every chunk. A
  killed process re-fetches at most the chunk it was writing.
- sha256 is computed while the bytes arrive: the calling thread hashes the
  contiguous prefix as the workers extend it (reading it back from the page
  cache), so verifying costs no second pass. A mismatch deletes the partial and
  raises DigestMismatch; a match is fsynced and renamed into place atomically.
- Transient failures (connection errors, 5xx, 408, 429, a cut stream) are
  retried with exponential backoff from where the segment stopped.
- Cancel (a `threading.Event`) stops the workers, shuts their sockets, keeps
  the partial, and raises Cancelled.

Partials live outside Ollama's `blobs/` folder, which Ollama prunes of names it
does not know.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import struct
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from .errors import Cancelled, DigestMismatch, DownloadFailed
from .http_client import HttpClient, HttpError, HttpResponse

log = logging.getLogger(__name__)

MiB = 1024 * 1024
DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_STATE_MAGIC = b"LDPART1\0"
_STATE_HEADER = struct.Struct("<8sQQQ")  # magic, total size, segment size, segment count
_U64 = struct.Struct("<Q")

ProgressCallback = Callable[[int], None]
# Returns auth headers for the next request; called with True after a 401 to get fresh ones.
Authorizer = Callable[[bool], Mapping[str, str]]


@dataclass(frozen=True)
class BlobRequest:
    """What to fetch. Source-neutral: a registry, a hub or a plain web server."""

    url: str
    digest: str  # "sha256:<hex>" of the bytes
    size: int | None = None  # expected bytes; None when the source does not know
    headers: Mapping[str, str] = field(default_factory=dict)
    # For tokens that expire during a long download (Docker Hub's last 5 minutes).
    authorize: Authorizer | None = field(default=None, compare=False)

    @property
    def hex(self) -> str:
        match = DIGEST.match(self.digest)
        if not match:
            raise DownloadFailed(f"unsupported digest {self.digest!r} (only sha256 is supported)")
        return match.group(1)


@dataclass
class _Segment:
    start: int
    length: int | None  # None: to the end of a stream of unknown size
    done: int = 0

    @property
    def complete(self) -> bool:
        return self.length is not None and self.done >= self.length


class BlobDownloader:
    """Fetches blobs into place, verified. Thread-safe; one download per digest at a time."""

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
    ) -> None:
        self.http = http
        self.partial_dir = partial_dir
        self.connections = max(1, connections)
        self.segment_size = segment_size
        self.parallel_min_size = parallel_min_size
        self.chunk_size = chunk_size
        self.retries = retries
        self.backoff = backoff
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

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
    ) -> Path:
        """Download `request` to `dest` (renamed into place only once its sha256 matches)."""
        digest_hex = request.hex
        with self._lock_for(digest_hex):
            if dest.exists():
                return dest
            self.partial_dir.mkdir(parents=True, exist_ok=True)
            dest.parent.mkdir(parents=True, exist_ok=True)
            cancel = cancel or threading.Event()
            partial = self.partial_path(digest_hex)
            with _ProcessLock(partial.with_name(partial.name + ".lock"), cancel, dest):
                if dest.exists():  # another process finished it while we waited
                    return dest
                _Run(self, request, partial, on_bytes, cancel).execute(dest)
            return dest

    def discard_partial(self, digest_hex: str) -> None:
        path = self.partial_path(digest_hex)
        path.unlink(missing_ok=True)
        _state_path(path).unlink(missing_ok=True)

    def _lock_for(self, digest_hex: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(digest_hex, threading.Lock())

    def _plan(self, size: int | None) -> list[_Segment]:
        if size is None:
            return [_Segment(0, None)]
        if size < self.parallel_min_size or self.connections == 1:
            return [_Segment(0, size)]
        return [
            _Segment(start, min(self.segment_size, size - start))
            for start in range(0, size, self.segment_size)
        ]

    def _load_segments(self, request: BlobRequest, partial: Path) -> list[_Segment]:
        """The plan for this blob, with what an earlier run left on disk."""
        segments = self._plan(request.size)
        if not partial.exists():
            return segments
        if request.size is None:  # one stream of unknown length: the file's length is the progress
            segments[0].done = partial.stat().st_size
        elif _read_state(_state_path(partial), request.size, segments) is None:
            for segment in segments:  # no state, or another layout: start over rather than trust the bytes
                segment.done = 0
        return segments


class _ProcessLock:
    """Keeps two processes (two app windows, the CLI beside the app) from writing one partial.

    An advisory lock on a file beside the partial; on systems without `fcntl` only
    the in-process lock applies. The lock file is removed once the blob is in place.
    """

    def __init__(self, path: Path, cancel: threading.Event, dest: Path) -> None:
        self.path, self.cancel, self.dest = path, cancel, dest
        self.fd = -1

    def __enter__(self) -> _ProcessLock:
        if fcntl is None:
            return self
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if self.cancel.wait(0.2):
                        os.close(fd)
                        raise Cancelled("the download was cancelled while another process held it") from None
            try:
                current = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:  # not a lock file the previous holder already removed
                self.fd = fd
                return self
            os.close(fd)

    def __exit__(self, *exc: object) -> None:
        if self.fd < 0:
            return
        partial = self.path.with_suffix("")  # sha256-<hex>.lock -> sha256-<hex>
        if self.dest.exists() or not partial.exists():  # nothing left to resume: no lock needed either
            self.path.unlink(missing_ok=True)
        os.close(self.fd)  # releases the lock


def _state_path(partial: Path) -> Path:
    return partial.with_name(partial.name + ".state")


def _read_state(path: Path, size: int, segments: list[_Segment]) -> int | None:
    """Fill `segments[*].done` from a state file; None if there is none or it does not fit."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) < _STATE_HEADER.size:
        return None
    magic, total, seg_size, count = _STATE_HEADER.unpack_from(data)
    if (
        magic != _STATE_MAGIC
        or total != size
        or count != len(segments)
        or len(data) < _STATE_HEADER.size + 8 * count
    ):
        return None
    if count > 1 and seg_size != segments[0].length:
        return None
    for index, segment in enumerate(segments):
        (done,) = _U64.unpack_from(data, _STATE_HEADER.size + 8 * index)
        segment.done = min(done, segment.length or done)
    return sum(s.done for s in segments)


class _Run:
    """One attempt at one blob: workers fill segments, the caller's thread hashes behind them."""

    def __init__(
        self,
        owner: BlobDownloader,
        request: BlobRequest,
        partial: Path,
        on_bytes: ProgressCallback | None,
        cancel: threading.Event,
    ) -> None:
        self.owner = owner
        self.request = request
        self.partial = partial
        self.state = _state_path(partial)
        self.on_bytes = on_bytes
        self.cancel = cancel
        self.cond = threading.Condition()
        self.error: BaseException | None = None
        self.active: set[HttpResponse] = set()
        self.segments = owner._load_segments(request, partial)
        self.pending = [i for i, s in enumerate(self.segments) if not s.complete]
        self.workers_left = 0

    # -- the caller's thread ---------------------------------------------------------------

    def execute(self, dest: Path) -> None:
        resumed = sum(s.done for s in self.segments)
        if resumed:
            log.info("resuming %s at %d bytes", self.request.digest, resumed)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
        self.fd = os.open(self.partial, flags, 0o644)
        self.state_fd = os.open(self.state, flags, 0o644) if self.request.size is not None else -1
        try:
            self._prepare_files()
            threads = self._start_workers()
            try:
                hasher = self._hash_behind_workers()
            finally:
                self._stop(threads)
            if self.error is not None:
                raise self.error
            self._verify_and_commit(hasher, dest)
        finally:
            for fd in (self.fd, self.state_fd):
                if fd >= 0:
                    os.close(fd)

    def _prepare_files(self) -> None:
        size = self.request.size
        if size is not None and os.fstat(self.fd).st_size != size:
            os.ftruncate(self.fd, size)  # sparse: workers write anywhere in it
        if self.state_fd >= 0:
            header = _STATE_HEADER.pack(
                _STATE_MAGIC, size or 0, self.segments[0].length or 0, len(self.segments)
            )
            body = b"".join(_U64.pack(s.done) for s in self.segments)
            _pwrite(self.state_fd, header + body, 0)

    def _start_workers(self) -> list[threading.Thread]:
        count = min(self.owner.connections, len(self.pending))
        self.workers_left = count
        threads = [
            threading.Thread(target=self._worker, name=f"llamadesk-dl-{i}", daemon=True) for i in range(count)
        ]
        for thread in threads:
            thread.start()
        return threads

    def _prefix(self) -> int:
        """Bytes from the start that are all on disk."""
        total = 0
        for segment in self.segments:
            total += segment.done
            if not segment.complete:
                break
        return total

    def _hash_behind_workers(self) -> hashlib._Hash:
        hasher = hashlib.sha256()
        hashed = 0
        piece = 8 * MiB
        while True:
            with self.cond:
                while True:
                    if self.cancel.is_set() and self.error is None:
                        self.error = Cancelled("the download was cancelled; it will resume where it stopped")
                    if self.error is not None:
                        self._abort_all()
                        return hasher
                    prefix = self._prefix()
                    if prefix > hashed or self.workers_left == 0:
                        break
                    self.cond.wait(0.1)
                finished = self.workers_left == 0
            while hashed < prefix:
                data = _pread(self.fd, min(piece, prefix - hashed), hashed)
                if not data:
                    break
                hasher.update(data)
                _start_writeback(self.fd, hashed, len(data))
                hashed += len(data)
            if finished and hashed >= self._prefix():
                return hasher

    def _stop(self, threads: list[threading.Thread]) -> None:
        if self.error is not None:
            with self.cond:
                self._abort_all()
        for thread in threads:
            thread.join()

    def _abort_all(self) -> None:
        for response in list(self.active):
            response.abort()

    def _verify_and_commit(self, hasher: hashlib._Hash, dest: Path) -> None:
        if not all(segment.complete for segment in self.segments):
            if self.cancel.is_set():
                raise Cancelled("the download was cancelled; it will resume where it stopped")
            raise DownloadFailed(f"the download of {self.request.digest} stopped early; pull again to resume")
        got = hasher.hexdigest()
        size = self._prefix()
        if got != self.request.hex or (self.request.size is not None and size != self.request.size):
            self.owner.discard_partial(self.request.hex)
            raise DigestMismatch(
                f"the downloaded bytes do not match their digest {self.request.digest} "
                f"(got sha256:{got}); they were discarded. The source may be corrupt or tampered with.",
                expected=self.request.digest,
                actual=f"sha256:{got}",
                url=self.request.url,
            )
        os.fsync(self.fd)
        os.replace(self.partial, dest)
        self.state.unlink(missing_ok=True)

    # -- worker threads --------------------------------------------------------------------

    def _worker(self) -> None:
        buffer = memoryview(bytearray(self.owner.chunk_size))
        try:
            while True:
                with self.cond:
                    if not self.pending or self.error is not None:
                        return
                    index = self.pending.pop(0)
                self._fetch_segment(index, buffer)
        except BaseException as exc:
            with self.cond:
                if self.error is None:
                    self.error = exc
        finally:
            with self.cond:
                self.workers_left -= 1
                self.cond.notify_all()

    def _fetch_segment(self, index: int, buffer: memoryview) -> None:
        segment = self.segments[index]
        failures = 0
        refresh_auth = False
        while not segment.complete:
            if self.cancel.is_set() or self.error is not None:
                return
            before = segment.done
            try:
                ended = self._stream_once(index, segment, buffer, refresh_auth)
                refresh_auth = False
            except _Unauthorized:
                if refresh_auth or self.request.authorize is None:
                    raise DownloadFailed(
                        f"the server refused the download of {self.request.digest} (401 Unauthorized)",
                        status=401,
                        url=self.request.url,
                    ) from None
                refresh_auth = True
                continue
            except (HttpError, OSError, http.client.HTTPException, _Retry) as exc:
                if self.cancel.is_set() or self.error is not None:
                    return
                failures = 0 if segment.done > before else failures + 1
                if failures > self.owner.retries:
                    raise DownloadFailed(
                        f"download of {self.request.digest} kept failing ({exc}); run the pull again to resume",
                        url=self.request.url,
                    ) from exc
                delay = self.owner.backoff * (2 ** max(0, failures - 1))
                log.info("retrying %s in %.1fs after: %s", self.request.url, delay, exc)
                if self.cancel.wait(delay):
                    return
                continue
            if ended:  # a stream of unknown length reached its end
                segment.length = segment.done
                return

    def _stream_once(self, index: int, segment: _Segment, buffer: memoryview, refresh_auth: bool) -> bool:
        """One request for the rest of a segment. True when an unknown-length stream ended."""
        offset = segment.start + segment.done
        headers = dict(self.request.headers)
        if self.request.authorize is not None:
            headers.update(self.request.authorize(refresh_auth))
        if segment.length is not None:
            headers["Range"] = f"bytes={offset}-{segment.start + segment.length - 1}"
        elif offset:
            headers["Range"] = f"bytes={offset}-"
        response = self.owner.http.request("GET", self.request.url, headers)
        with self.cond:
            self.active.add(response)
        try:
            skip = self._check_status(response, offset)
            remaining = None if segment.length is None else segment.length - segment.done
            while remaining is None or remaining > 0:
                if self.cancel.is_set() or self.error is not None:
                    return False
                want = len(buffer) if remaining is None else min(len(buffer), remaining + skip)
                got = response.readinto_some(buffer[:want])
                if got == 0:
                    if remaining is None:
                        return True
                    raise _Retry(f"the server closed the stream {remaining} bytes early")
                view = buffer[:got]
                if skip:  # a server that ignored Range: throw away what we already have
                    dropped = min(skip, got)
                    skip -= dropped
                    view = view[dropped:]
                if not view:
                    continue
                _pwrite(self.fd, view, segment.start + segment.done)
                with self.cond:
                    segment.done += len(view)
                    if self.state_fd >= 0:
                        _pwrite(self.state_fd, _U64.pack(segment.done), _STATE_HEADER.size + 8 * index)
                    self.cond.notify_all()
                if remaining is not None:
                    remaining -= len(view)
                if self.on_bytes is not None:
                    self.on_bytes(len(view))
            return False
        finally:
            with self.cond:
                self.active.discard(response)
            response.close()

    def _check_status(self, response: HttpResponse, offset: int) -> int:
        """Bytes to skip at the start of the body (when the server ignored Range); raises on errors."""
        status = response.status
        if status == 206:
            return 0
        if status == 200:
            return offset
        if status in RETRY_STATUSES:
            raise _Retry(f"the server answered {status}")
        if status == 401:
            raise _Unauthorized()
        if status == 416:
            raise DownloadFailed(
                f"the server says {self.request.digest} is smaller than the manifest claims",
                url=self.request.url,
            )
        raise DownloadFailed(
            f"the server refused the download of {self.request.digest} ({status} {response.raw.reason})",
            status=status,
            url=self.request.url,
        )


_SEEK_LOCK = threading.Lock()  # only where there is no pread/pwrite (Windows)


def _pwrite(fd: int, data: bytes | memoryview, offset: int) -> None:
    if hasattr(os, "pwrite"):
        while data:
            written = os.pwrite(fd, data, offset)
            data, offset = data[written:], offset + written
        return
    with _SEEK_LOCK:
        os.lseek(fd, offset, os.SEEK_SET)
        os.write(fd, data)


def _pread(fd: int, count: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, count, offset)
    with _SEEK_LOCK:
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, count)


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing hashed bytes to disk now (Linux: FADV_DONTNEED starts
    writeback of dirty pages), so the fsync before the commit waits only for the tail instead
    of the whole blob; that fsync cost as much as the download itself."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        advise(fd, offset, length, os.POSIX_FADV_DONTNEED)


class _Retry(Exception):
    """A transient failure worth another request."""


class _Unauthorized(Exception):
    """401: worth one more request with fresh credentials, if the source can give them."""
