"""What a download leaves on disk between runs: the partial file's segment plan and progress.

A state file beside the partial holds a header (magic, total size, segment size,
segment count) and one little-endian u64 per segment: bytes of it on disk. It is
updated after every read, so a killed process loses at most what was in flight.
A lock file beside the partial keeps two processes off one blob.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from .errors import N_, Cancelled

MiB = 1024 * 1024
STATE_MAGIC = b"LDPART1\0"
STATE_HEADER = struct.Struct("<8sQQQ")  # magic, total size, segment size, segment count
U64 = struct.Struct("<Q")


@dataclass
class Segment:
    start: int
    length: int | None  # None: to the end of a stream of unknown size
    done: int = 0

    @property
    def complete(self) -> bool:
        return self.length is not None and self.done >= self.length


def state_path(partial: Path) -> Path:
    return partial.with_name(partial.name + ".state")


def info_path(partial: Path) -> Path:
    """Which models a partial belongs to (JSON), for listing and discarding partials by name."""
    return partial.with_name(partial.name + ".json")


def note_partial_owner(partial: Path, reference: str, size: int | None) -> None:
    """Record that `reference` is pulling this partial (a blob may be shared by several models).

    Only a label: a partial whose note is missing or unreadable still resumes.
    """
    path = info_path(partial)
    references = read_partial_owners(path)
    if reference in references:
        return
    data = json.dumps({"references": [*references, reference], "size": size})
    with contextlib.suppress(OSError):  # a full disk is reported by the download itself
        path.write_text(data, encoding="utf-8")


def read_partial_owners(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [str(r) for r in data.get("references", [])][:100]
    except (OSError, ValueError, AttributeError, TypeError):
        return []


def plan_segments(size: int, segment_size: int) -> list[Segment]:
    return [Segment(start, min(segment_size, size - start)) for start in range(0, size, segment_size)]


def state_size(path: Path) -> int | None:
    """The blob size a state file was written for; None without a usable state."""
    try:
        with path.open("rb") as file:
            header = file.read(STATE_HEADER.size)
    except OSError:
        return None
    if len(header) < STATE_HEADER.size:
        return None
    magic, total, _, _ = STATE_HEADER.unpack(header)
    return int(total) if magic == STATE_MAGIC else None


def read_state(path: Path, size: int) -> list[Segment] | None:
    """The segments an earlier run planned, with their progress; None if there is no usable state.

    The layout is taken from the file, not from today's settings, so a partial
    left by a version that cut blobs differently still resumes.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) < STATE_HEADER.size:
        return None
    magic, total, seg_size, count = STATE_HEADER.unpack_from(data)
    if magic != STATE_MAGIC or total != size or len(data) < STATE_HEADER.size + 8 * count:
        return None
    if count == 1:
        segments = [Segment(0, size)]
    elif seg_size <= 0:
        return None
    else:
        segments = plan_segments(size, seg_size)
    if len(segments) != count:
        return None
    for index, segment in enumerate(segments):
        (done,) = U64.unpack_from(data, STATE_HEADER.size + 8 * index)
        segment.done = min(done, segment.length or done)
    return segments


class ProcessLock:
    """Keeps two processes (two app windows, the CLI beside the app) from writing one partial.

    An advisory lock on a file beside the partial; on systems without `fcntl` only
    the in-process lock applies. The lock file is removed once the blob is in place.
    """

    def __init__(self, path: Path, cancel: threading.Event, dest: Path) -> None:
        self.path, self.cancel, self.dest = path, cancel, dest
        self.fd = -1

    def __enter__(self) -> ProcessLock:
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
                        raise Cancelled(
                            N_("the download was cancelled while another process held it")
                        ) from None
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


_SEEK_LOCK = threading.Lock()  # only where there is no pread/pwrite (Windows)


def pwrite(fd: int, data: bytes | memoryview, offset: int) -> None:
    if hasattr(os, "pwrite"):
        while data:
            written = os.pwrite(fd, data, offset)
            data, offset = data[written:], offset + written
        return
    with _SEEK_LOCK:
        os.lseek(fd, offset, os.SEEK_SET)
        os.write(fd, data)


def pread_into(fd: int, buffer: memoryview, offset: int) -> int:
    """Read into a reused buffer: a fresh bytes object per read costs page faults on every piece."""
    if hasattr(os, "preadv"):
        return os.preadv(fd, [buffer], offset)
    with _SEEK_LOCK:  # Windows
        os.lseek(fd, offset, os.SEEK_SET)
        data = os.read(fd, len(buffer))
    buffer[: len(data)] = data
    return len(data)
