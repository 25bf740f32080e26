"""Writing a downloading file's pages to disk while the rest of it still arrives.

A pulled blob is fsynced before it is renamed into place, so a power cut never
leaves a model that looks complete but is not. Started only at the end, that
fsync waits for every page of the blob: a quarter of a second per 512 MB on a
fast SSD, seconds on a slow disk, all after the last byte arrived. A side
thread that syncs every few tens of MiB lets the disk write while the network
reads, so the final fsync only waits for the tail. It is a head start, not the
durability guarantee: the commit's own fsync still runs, and reports errors.
"""

from __future__ import annotations

import os
import threading

from .download_state import MiB

SYNC_EVERY = 32 * MiB
# fdatasync skips metadata that does not matter for reading the bytes back (mtime);
# where it is missing (macOS, Windows) fsync does the same job.
_datasync = getattr(os, "fdatasync", os.fsync)


class EarlyWriteback:
    """Syncs `fd` in a side thread each time `SYNC_EVERY` more bytes were written to it.

    `wrote()` is called by the writers; `close()` before the fd is closed.
    """

    def __init__(self, fd: int, every: int | None = None) -> None:
        self._fd = fd
        self._every = SYNC_EVERY if every is None else every
        self._cond = threading.Condition()
        self._unsynced = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="llamadesk-dl-sync", daemon=True)
        self._thread.start()

    def wrote(self, count: int) -> None:
        with self._cond:
            self._unsynced += count
            if self._unsynced >= self._every:
                self._cond.notify()

    def close(self) -> None:
        """Stop; waits for a sync in progress, so the fd may be closed right after."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._unsynced < self._every and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                self._unsynced = 0
            try:
                _datasync(self._fd)
            except OSError:
                return  # only a head start: the commit's fsync reports a failing disk
