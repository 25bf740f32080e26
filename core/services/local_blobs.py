"""Blobs a pull need not download: a file already on this disk holds them.

A source may name, with a blob request, files that may hold its bytes (the Hugging Face
cache keeps a GGUF under its LFS sha256). One is checked against the digest before it
becomes a blob: hard linked when the disk allows (no second copy; the cache may delete
its name later, the bytes stay ours) and copied otherwise, hashed on the way in both cases.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from ..disk_space import is_out_of_space
from ..errors import N_, Cancelled
from ..models.download import BlobRequest
from .model_store import ModelStore

log = logging.getLogger(__name__)

PIECE = 8 * 1024 * 1024


def adopt_local_blob(
    store: ModelStore,
    blob: BlobRequest,
    target: Path,
    *,
    on_bytes: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> bool:
    """Put `blob` at `target` without downloading, if it can be; True when it was."""
    for candidate in blob.local_files:
        try:
            if not candidate.is_file() or (blob.size is not None and candidate.stat().st_size != blob.size):
                continue
            if _adopt_file(store, candidate, blob, target, on_bytes, cancel):
                log.info("reused %s for %s instead of downloading it", candidate, blob.digest)
                return True
        except OSError as exc:  # an unreadable cache file: download instead
            if is_out_of_space(exc):
                raise  # downloading would fill the disk just the same
            log.info("could not reuse %s: %s", candidate, exc)
    return False


def _adopt_file(
    store: ModelStore,
    source: Path,
    blob: BlobRequest,
    target: Path,
    on_bytes: Callable[[int], None] | None,
    cancel: threading.Event | None,
) -> bool:
    store.partial_dir.mkdir(parents=True, exist_ok=True)
    staging = store.partial_dir / f"adopt-{blob.hex}"
    staging.unlink(missing_ok=True)
    try:
        try:
            os.link(source, staging)
            linked = True
        except OSError:  # another disk, or a file system without hard links
            linked = False
        digest = _hash_file(source, None if linked else staging, on_bytes, cancel)
        if digest != blob.hex:
            log.info(
                "%s does not hold %s (its sha256 is %s); downloading instead", source, blob.digest, digest
            )
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, target)
        return True
    finally:
        staging.unlink(missing_ok=True)


def _hash_file(
    source: Path,
    copy_to: Path | None,
    on_bytes: Callable[[int], None] | None,
    cancel: threading.Event | None,
) -> str:
    """sha256 of `source`, copied into `copy_to` on the way when given."""
    hasher = hashlib.sha256()
    with source.open("rb") as src:
        out = None if copy_to is None else copy_to.open("wb")
        try:
            while piece := src.read(PIECE):
                if cancel is not None and cancel.is_set():
                    raise Cancelled(N_("the pull was cancelled"))
                hasher.update(piece)
                if out is not None:
                    out.write(piece)
                if on_bytes is not None:
                    on_bytes(len(piece))
            if out is not None:
                out.flush()
                os.fsync(out.fileno())
        finally:
            if out is not None:
                out.close()
    return hasher.hexdigest()
