"""Partial downloads as the library shows them: which models they belong to, what they hold."""

from __future__ import annotations

from ..disk_space import disk_usage
from ..download_partials import PartialFile, list_partials, remove_orphans, remove_partial
from ..errors import InvalidParams
from ..models.library import DiscardResult, PartialDownload, PartialList
from ..models.reference import ModelRef, parse_reference
from .model_store import ModelStore


def partial_list(store: ModelStore) -> PartialList:
    found = [_row(p) for p in list_partials(store.partial_dir)]
    return PartialList(
        models_dir=str(store.root),
        partials=found,
        total_bytes=sum(p.on_disk for p in found),
        free_bytes=disk_usage(store.root).free,
    )


def discard(store: ModelStore, ref: ModelRef | None) -> DiscardResult:
    """Remove the partials of `ref` (every one when None); those a process holds stay."""
    removed: list[PartialDownload] = []
    in_use: list[PartialDownload] = []
    for partial in list_partials(store.partial_dir):
        if ref is not None and not _belongs_to(partial, ref):
            continue
        row = _row(partial)
        (removed if remove_partial(partial) else in_use).append(row)
    remove_orphans(store.partial_dir)
    return DiscardResult(
        reference=ref.short if ref is not None else None,
        removed=removed,
        in_use=in_use,
        freed=sum(p.on_disk for p in removed),
    )


def _row(partial: PartialFile) -> PartialDownload:
    return PartialDownload(
        name=partial.name,
        kind=partial.kind,
        digest=partial.digest,
        references=partial.references,
        on_disk=partial.on_disk,
        done=partial.done,
        size=partial.size,
        modified=partial.modified,
        in_use=partial.in_use,
        path=str(partial.path),
    )


def _belongs_to(partial: PartialFile, ref: ModelRef) -> bool:
    for owner in partial.references:
        try:
            if parse_reference(owner).full == ref.full:
                return True
        except InvalidParams:
            continue
    return False
