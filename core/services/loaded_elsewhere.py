"""Models loaded by every llamadesk process on this machine, for `llamadesk ps`.

Each app process (the UI, `llamadesk serve`, a `run` in a terminal) holds its
own models in its own worker processes; a `ps` in another terminal cannot ask
it. So each process leaves one small JSON file per loaded model in a shared
folder (`<data>/run/`), named by its own pid, and removes it on unload. A
reader lists the files of other processes that are still alive and drops the
ones a crashed process left behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import psutil
from pydantic import ValidationError

from ..fileio import atomic_write_text
from ..models.llama import ModelStatus

log = logging.getLogger(__name__)


class LoadedElsewhere:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.owner = os.getpid()

    def publish(self, status: ModelStatus) -> None:
        """Announce (or update) a model this process has loaded."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self._file(status.id), status.model_dump_json())
        except OSError as exc:  # a read-only data folder must not stop a model from loading
            log.warning("cannot record loaded model %s in %s: %s", status.id, self.folder, exc)

    def withdraw(self, model: str) -> None:
        self._file(model).unlink(missing_ok=True)

    def others(self) -> list[ModelStatus]:
        """Models other live llamadesk processes have loaded, with their memory now."""
        found: list[ModelStatus] = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            owner = _owner_of(path)
            if owner is None or owner == self.owner:
                continue
            if not _alive_since(owner, path):
                path.unlink(missing_ok=True)  # left by a process that ended without unloading
                continue
            try:
                status = ModelStatus.model_validate_json(path.read_bytes())
            except (OSError, ValidationError):
                continue  # being replaced right now, or not ours
            found.append(status.model_copy(update={"memory_bytes": _rss(status.pid)}))
        return found

    def _file(self, model: str) -> Path:
        digest = hashlib.sha256(model.encode()).hexdigest()[:16]
        return self.folder / f"{self.owner}-{digest}.json"


def _owner_of(path: Path) -> int | None:
    head = path.stem.split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _started_at(pid: int) -> float:
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return 0.0


def _alive_since(pid: int, path: Path) -> bool:
    """The process runs and is the one that wrote `path` (not a later one given the same pid)."""
    started = _started_at(pid)
    try:
        return started > 0 and started <= path.stat().st_mtime + 1
    except OSError:
        return False


def _rss(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        return int(psutil.Process(pid).memory_info().rss)
    except psutil.Error:
        return None
