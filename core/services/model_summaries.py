"""One line of the library listing (`ModelSummary`) for a stored or an in-place model,
including whether it can still load: blobs missing, or an in-place file gone or changed."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from ..models.library import ModelSummary
from ..models.manifest import Manifest
from ..models.reference import ModelRef
from .model_layers import manifest_format, missing_blobs
from .model_store import ModelStore

log = logging.getLogger(__name__)


def summarize(
    store: ModelStore, ref: ModelRef, manifest: Manifest | None = None, data: bytes | None = None
) -> ModelSummary | None:
    if manifest is None or data is None:
        try:
            manifest, data = store.read_manifest(ref)
        except Exception:  # one broken manifest must not hide the others
            log.warning("skipping unreadable manifest of %s", ref.full, exc_info=True)
            return None
    path = store.manifest_path(ref)
    missing = missing_blobs(store, manifest)
    return ModelSummary(
        reference=ref.short,
        full_reference=ref.full,
        size=manifest.config.size + sum(layer.size for layer in manifest.layers),
        modified=path.stat().st_mtime,
        digest=manifest_digest(data),
        format=manifest_format(manifest),
        status="incomplete" if missing else "ready",
        problem=(
            f"incomplete: {len(missing)} blob(s) missing ({missing[0][:19]}...); "
            f"pull it again with `llamadesk pull {ref.short}`"
            if missing
            else None
        ),
        missing_blobs=missing,
    )


def summarize_in_place(store: ModelStore, ref: ModelRef) -> ModelSummary | None:
    try:
        record = store.read_in_place(ref)
    except Exception:
        log.warning("skipping unreadable in-place record of %s", ref.full, exc_info=True)
        return None
    if record is None:
        return None
    status, problem = in_place_problem(record.files, record.sizes, record.mtimes)
    return ModelSummary(
        reference=ref.short,
        full_reference=ref.full,
        size=sum(record.sizes),
        modified=record.imported_at,
        digest="",
        format="in-place",
        in_place=True,
        status=status,
        problem=problem,
    )


def in_place_problem(files: list[Path], sizes: list[int], mtimes: list[float]) -> tuple[str, str | None]:
    """Status, and why a model used in place may not load as imported: its file went away or changed."""
    for file, size, mtime in zip(files, sizes, mtimes, strict=False):
        try:
            stat = file.stat()
        except OSError:
            return "file-gone", f"{file} is no longer there"
        if stat.st_size != size or stat.st_mtime != mtime:
            return "file-changed", f"{file} changed since it was imported"
    return "ready", None


def manifest_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
