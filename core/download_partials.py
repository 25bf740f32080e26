"""Unfinished downloads on disk: listing them (what holds the disk) and removing them.

`<models>/.llamadesk/partial/` holds, per blob being pulled, `sha256-<hex>` (the sparse
partial), `.state` (its progress), `.lock` (held by the process pulling it) and `.json`
(which models it is for); and the temporary copies an import or a cache adoption makes
(`import-*`, `adopt-*`), locked by the process writing them. A partial someone holds is
in use: it is listed as such and never removed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, nothing is seen as in use by another process
    fcntl = None  # type: ignore[assignment]

from .disk_space import allocated_bytes
from .download_state import info_path, read_partial_owners, read_state, state_path, state_size

SIDE_SUFFIXES = (".state", ".lock", ".json")


@dataclass(frozen=True)
class PartialFile:
    name: str
    path: Path
    on_disk: int  # bytes it takes on disk (a sparse partial: what was written)
    size: int | None  # the whole blob's size, when known
    done: int  # bytes of the blob downloaded so far
    digest: str | None  # sha256:<hex> of the blob; None for an import's temporary copy
    references: list[str] = field(default_factory=list)
    modified: float = 0.0
    in_use: bool = False

    @property
    def kind(self) -> str:
        return "download" if self.digest else self.name.split("-", 1)[0]


def list_partials(partial_dir: Path) -> list[PartialFile]:
    """Every unfinished download and temporary copy, oldest first."""
    found = [_describe(path) for path in _partial_paths(partial_dir)]
    return sorted((p for p in found if p is not None), key=lambda p: p.modified)


def remove_partial(partial: PartialFile) -> bool:
    """Delete a partial with its state, note and lock; False when a process holds it."""
    lock = _lock_path(partial.path)
    with _held(lock) as free:
        if not free:
            return False
        for path in (partial.path, state_path(partial.path), info_path(partial.path)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        if lock != partial.path:
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()  # a pull waiting on it sees the lock file replaced and takes a new one
    return True


def remove_orphans(partial_dir: Path) -> None:
    """State, notes and locks whose partial is gone (a crash between two unlinks)."""
    if not partial_dir.is_dir():
        return
    for entry in os.scandir(partial_dir):
        name = entry.name
        for suffix in SIDE_SUFFIXES:
            if name.endswith(suffix) and not (partial_dir / name.removesuffix(suffix)).exists():
                lock = partial_dir / (name.removesuffix(suffix) + ".lock")
                with _held(lock) as free:
                    if free:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(entry.path)


def _partial_paths(partial_dir: Path) -> Iterator[Path]:
    if not partial_dir.is_dir():
        return
    for entry in os.scandir(partial_dir):
        if entry.is_file(follow_symlinks=False) and not entry.name.endswith(SIDE_SUFFIXES):
            yield Path(entry.path)


def _describe(path: Path) -> PartialFile | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None  # finished or removed while we looked
    name = path.name
    digest = "sha256:" + name.removeprefix("sha256-") if name.startswith("sha256-") else None
    owners = read_partial_owners(info_path(path)) if digest else []
    size = state_size(state_path(path)) if digest else None
    if size is not None:
        segments = read_state(state_path(path), size)
        done = sum(s.done for s in segments) if segments else 0
    else:
        done = stat.st_size
    with _held(_lock_path(path)) as free:
        in_use = not free
    return PartialFile(
        name=name,
        path=path,
        on_disk=allocated_bytes(path),
        size=size,
        done=done,
        digest=digest,
        references=owners,
        modified=stat.st_mtime,
        in_use=in_use,
    )


def _lock_path(path: Path) -> Path:
    """Downloads are locked through a file beside them; temporary copies lock themselves."""
    return path.with_name(path.name + ".lock") if path.name.startswith("sha256-") else path


@contextlib.contextmanager
def _held(lock: Path) -> Iterator[bool]:
    """Try to take `lock` without waiting: yields True when nobody held it (it is held meanwhile)."""
    if fcntl is None:
        yield True
        return
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        yield True
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
