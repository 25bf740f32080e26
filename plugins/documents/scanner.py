"""Listing a collection's folder: every file below it, with the stat that tells a change.

Hidden files and folders (a leading dot) and the excluded folder names are left out,
symbolic links are not followed (a link to a parent folder would never end), and a
folder that cannot be listed is skipped, not fatal. The walk is a generator, so a
folder of 100,000 files reports progress and can be cancelled while it is listed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FoundFile:
    path: str  # relative to the folder, with forward slashes
    size: int
    mtime_ns: int


def walk(folder: Path, exclude: frozenset[str]) -> Iterator[FoundFile]:
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda entry: entry.name)
        except OSError:
            continue
        folders = []
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in exclude:
                        folders.append(Path(entry.path))
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue  # sockets, fifos, devices
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            relative = Path(entry.path).relative_to(folder).as_posix()
            yield FoundFile(path=relative, size=stat.st_size, mtime_ns=stat.st_mtime_ns)
        pending.extend(reversed(folders))


def file_sha256(path: Path, cancelled: Callable[[], bool]) -> str | None:
    """The file's sha256, read in 1 MiB blocks; None when cancelled midway."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
            if cancelled():
                return None
    return digest.hexdigest()
