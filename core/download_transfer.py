"""One transfer of one blob: worker threads fill segments, the caller's thread hashes behind them.

The errors it ends with, and their words, are download_failures.py's.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from . import download_failures
from .disk_space import disk_usage, is_out_of_space
from .download_ramp import ConnectionRamp
from .download_responses import Retry, Unauthorized, check_status, timed_out
from .download_state import (
    STATE_HEADER,
    STATE_MAGIC,
    U64,
    MiB,
    Segment,
    info_path,
    pread_into,
    pwrite,
    state_path,
)
from .download_writeback import EarlyWriteback
from .errors import LlamadeskError
from .http_client import HttpError, HttpResponse, KeptConnections

if TYPE_CHECKING:
    from .downloader import BlobDownloader, BlobRequest, ProgressCallback

log = logging.getLogger(__name__)

WAKE_HASHER_EVERY = 4 * MiB


class BlobTransfer:
    """One attempt at one blob: workers fill segments, the caller's thread hashes behind them."""

    def __init__(
        self,
        owner: BlobDownloader,
        request: BlobRequest,
        partial: Path,
        on_bytes: ProgressCallback | None,
        cancel: threading.Event,
        label: str = "",
    ) -> None:
        self.owner = owner
        self.label = label  # the model being pulled, for messages
        self.request = request
        self.partial = partial
        self.state = state_path(partial)
        self.on_bytes = on_bytes
        self.cancel = cancel
        self.cond = threading.Condition()
        self.error: BaseException | None = None
        self.active: set[HttpResponse] = set()
        self.segments = owner._load_segments(request, partial)
        self.pending = [i for i, s in enumerate(self.segments) if not s.complete]
        self.threads: list[threading.Thread] = []
        self.workers_left = 0
        self.received = 0  # bytes this transfer wrote (for the ramp-up's rate)
        self.worker_ids: set[int] = set()  # native thread ids, for the ramp-up's CPU check
        # The first unfinished segment (the hash follows it) and how far the hasher was told it got.
        self.head = next((i for i, s in enumerate(self.segments) if not s.complete), len(self.segments))
        self.head_told = 0

    @property
    def doing(self) -> str:
        return f"pulling {self.label}" if self.label else f"downloading {self.request.digest[:19]}"

    # -- the caller's thread ---------------------------------------------------------------

    def execute(self, dest: Path) -> None:
        resumed = sum(s.done for s in self.segments)
        if resumed:
            log.info("resuming %s at %d bytes", self.request.digest, resumed)
        self.fd = self.state_fd = -1
        try:
            try:
                self._open_files()
            except OSError as exc:
                raise _DiskWriteFailed(exc) from exc
            self.writeback = EarlyWriteback(self.fd)
            try:
                self._start_workers()
                try:
                    hasher = self._hash_behind_workers()
                finally:
                    self._stop()
            finally:
                self.writeback.close()
            if self.error is not None:
                raise self.error
            self._verify_and_commit(hasher, dest)
        except _DiskWriteFailed as failed:
            self._close_files()  # before a partial may be removed (Windows cannot delete open files)
            raise self._disk_error(failed.error) from failed.error
        finally:
            self._close_files()

    def _close_files(self) -> None:
        for fd in (self.fd, self.state_fd):
            if fd >= 0:
                os.close(fd)
        self.fd = self.state_fd = -1

    def _open_files(self) -> None:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
        self.fd = os.open(self.partial, flags, 0o644)
        self.state_fd = os.open(self.state, flags, 0o644) if self.request.size is not None else -1
        self._prepare_files()

    def _disk_error(self, error: OSError) -> LlamadeskError:
        """A write to the partial failed: never retried (the disk will not heal by itself).

        Out of space, the partial is kept when the blob could fit on this disk once the user
        frees space (the pull then resumes); one larger than the whole disk is removed, and
        so is one with nothing in it.
        """
        if not is_out_of_space(error):
            return download_failures.write_failed(self.owner.store_dir, self.doing, error)
        size, done = self.request.size, sum(s.done for s in self.segments)
        too_large = size is not None and size > disk_usage(self.partial.parent).total
        if too_large or not done:
            self.owner.discard_partial(self.request.hex)
        return download_failures.out_of_disk(
            self.owner.store_dir, self.doing, size, done, self.label, too_large
        )

    def _prepare_files(self) -> None:
        size = self.request.size
        if size is not None and os.fstat(self.fd).st_size != size:
            os.ftruncate(self.fd, size)  # sparse: workers write anywhere in it
        if self.state_fd >= 0:
            header = STATE_HEADER.pack(
                STATE_MAGIC, size or 0, self.segments[0].length or 0, len(self.segments)
            )
            body = b"".join(U64.pack(s.done) for s in self.segments)
            pwrite(self.state_fd, header + body, 0)

    def _start_workers(self) -> None:
        """One connection, or all of them at once when the downloader does not ramp up."""
        self.ramp = ConnectionRamp(self.owner.ramp_every_s, self.owner.fast_link)
        count = min(1 if self.ramp.enabled else self.owner.connections, len(self.pending))
        for _ in range(count):
            self._add_worker()

    def _add_worker(self) -> None:
        thread = threading.Thread(target=self._worker, name=f"llamadesk-dl-{len(self.threads)}", daemon=True)
        self.threads.append(thread)
        self.workers_left += 1
        thread.start()

    def _ramp_up(self) -> None:
        """Called with `cond` held, from the hashing thread: another connection while more
        could make the transfer faster (download_ramp.py). On a fast link one stream stays,
        which the hash follows a few MiB behind."""
        if len(self.threads) >= self.owner.connections or not self.pending:
            return
        if self.ramp.worth_another(self.received, list(self.worker_ids)):
            log.debug("adding a connection to the %d of %s", len(self.threads), self.request.digest[:19])
            self._add_worker()

    def _wake_hasher_if_it_can_go_on(self, index: int) -> None:
        """Called with `cond` held after segment `index` grew. The hasher only follows the
        first unfinished segment: bytes elsewhere, or a few KiB more of it, are no reason to
        wake it (each wake costs a thread switch, and the GIL, on a busy CPU)."""
        segment = self.segments[index]
        if segment.complete:
            while self.head < len(self.segments) and self.segments[self.head].complete:
                self.head += 1
            self.head_told = 0
            self.cond.notify_all()
        elif index == self.head and segment.done - self.head_told >= WAKE_HASHER_EVERY:
            self.head_told = segment.done
            self.cond.notify_all()

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
        # Big pieces (hashlib hashes them without the GIL), but no 8 MiB for a config blob of 100 bytes.
        size = self.request.size
        buffer = memoryview(bytearray(8 * MiB if size is None else max(1, min(8 * MiB, size))))
        while True:
            with self.cond:
                while True:
                    if self.cancel.is_set() and self.error is None:
                        self.error = download_failures.cancelled()
                    if self.error is not None:
                        self._abort_all()
                        return hasher
                    self._ramp_up()
                    prefix = self._prefix()
                    if prefix > hashed or self.workers_left == 0:
                        break
                    self.cond.wait(0.1)
                finished = self.workers_left == 0
            while hashed < prefix:
                got = pread_into(self.fd, buffer[: min(len(buffer), prefix - hashed)], hashed)
                if not got:
                    break
                hasher.update(buffer[:got])
                hashed += got
            if finished and hashed >= self._prefix():
                return hasher

    def _stop(self) -> None:
        if self.error is not None:
            with self.cond:
                self._abort_all()
        with self.cond:
            threads = list(self.threads)
        for thread in threads:
            thread.join()

    def _abort_all(self) -> None:
        for response in list(self.active):
            response.abort()

    def _verify_and_commit(self, hasher: hashlib._Hash, dest: Path) -> None:
        if not all(segment.complete for segment in self.segments):
            if self.cancel.is_set():
                raise download_failures.cancelled()
            raise download_failures.stopped_early(self.request)
        got = hasher.hexdigest()
        size = self._prefix()
        if got != self.request.hex or (self.request.size is not None and size != self.request.size):
            self.owner.discard_partial(self.request.hex)
            raise download_failures.digest_mismatch(self.request, got)
        try:
            os.fsync(self.fd)
        except OSError as exc:  # a disk that reports a full disk only on sync (delayed allocation, NFS)
            raise _DiskWriteFailed(exc) from exc
        self._close_files()  # Windows cannot rename or delete open files
        os.replace(self.partial, dest)
        self.state.unlink(missing_ok=True)
        info_path(self.partial).unlink(missing_ok=True)

    # -- worker threads --------------------------------------------------------------------

    def _worker(self) -> None:
        with self.cond:
            self.worker_ids.add(threading.get_native_id())
        buffer = memoryview(bytearray(self.owner.chunk_size))
        kept = KeptConnections()  # this worker's segments follow one another on the same connections
        try:
            while True:
                with self.cond:
                    if not self.pending or self.error is not None:
                        return
                    index = self.pending.pop(0)
                self._fetch_segment(index, buffer, kept)
        except BaseException as exc:
            with self.cond:
                if self.error is None:
                    self.error = exc
        finally:
            kept.close()
            with self.cond:
                self.workers_left -= 1
                self.worker_ids.discard(threading.get_native_id())
                self.cond.notify_all()

    def _fetch_segment(self, index: int, buffer: memoryview, kept: KeptConnections) -> None:
        segment = self.segments[index]
        failures = 0
        refresh_auth = False
        while not segment.complete:
            if self.cancel.is_set() or self.error is not None:
                return
            before = segment.done
            try:
                ended = self._stream_once(index, segment, buffer, kept, refresh_auth)
                refresh_auth = False
            except Unauthorized:
                if refresh_auth or self.request.authorize is None:
                    raise download_failures.unauthorized(self.request) from None
                refresh_auth = True
                continue
            except (HttpError, OSError, http.client.HTTPException, Retry) as exc:
                if self.cancel.is_set() or self.error is not None:
                    return
                if timed_out(exc) and segment.done == before:
                    raise download_failures.server_silent(
                        self.request, self.owner.http.timeout, self.doing
                    ) from exc
                failures = 0 if segment.done > before else failures + 1
                if failures > self.owner.retries:
                    raise download_failures.kept_failing(self.request, exc) from exc
                delay = self.owner.backoff * (2 ** max(0, failures - 1))
                log.info("retrying %s in %.1fs after: %s", self.request.url, delay, exc)
                if self.cancel.wait(delay):
                    return
                continue
            if ended:  # a stream of unknown length reached its end
                segment.length = segment.done
                return

    def _stream_once(
        self, index: int, segment: Segment, buffer: memoryview, kept: KeptConnections, refresh_auth: bool
    ) -> bool:
        """One request for the rest of a segment. True when an unknown-length stream ended."""
        offset = segment.start + segment.done
        headers = dict(self.request.headers)
        if self.request.authorize is not None:
            headers.update(self.request.authorize(refresh_auth))
        if segment.length is not None:
            headers["Range"] = f"bytes={offset}-{segment.start + segment.length - 1}"
        elif offset:
            headers["Range"] = f"bytes={offset}-"
        response = self.owner.http.request("GET", self.request.url, headers, kept=kept)
        with self.cond:
            self.active.add(response)
        try:
            skip = check_status(response, offset, self.request.digest, self.request.url)
            remaining = None if segment.length is None else segment.length - segment.done
            while remaining is None or remaining > 0:
                if self.cancel.is_set() or self.error is not None:
                    return False
                want = len(buffer) if remaining is None else min(len(buffer), remaining + skip)
                got = response.readinto_some(buffer[:want])
                if got == 0:
                    if remaining is None:
                        return True
                    raise Retry(f"the server closed the stream {remaining} bytes early")
                view = buffer[:got]
                if skip:  # a server that ignored Range: throw away what we already have
                    dropped = min(skip, got)
                    skip -= dropped
                    view = view[dropped:]
                if not view:
                    continue
                try:
                    pwrite(self.fd, view, segment.start + segment.done)
                    self.writeback.wrote(len(view))
                    with self.cond:
                        segment.done += len(view)
                        self.received += len(view)
                        done = segment.done
                        self._wake_hasher_if_it_can_go_on(index)
                    if self.state_fd >= 0:  # this segment's own slot: only this thread writes it
                        pwrite(self.state_fd, U64.pack(done), STATE_HEADER.size + 8 * index)
                except OSError as exc:
                    raise _DiskWriteFailed(exc) from exc
                if remaining is not None:
                    remaining -= len(view)
                if self.on_bytes is not None:
                    self.on_bytes(len(view))
            return False
        finally:
            with self.cond:
                self.active.discard(response)
            response.close()


class _DiskWriteFailed(Exception):
    """Writing to the partial failed: ends the transfer at once, no retry."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error
