"""Fetching a resolved model into the store: every blob verified, then the manifest, atomically."""

from __future__ import annotations

import hashlib
import threading

from ..downloader import BlobDownloader
from ..errors import DigestMismatch, InvalidParams
from ..fileio import atomic_write_bytes
from ..gguf import is_gguf
from ..interfaces.model_source import ResolvedModel
from ..models.library import PullResult
from ..models.manifest import MODELPACK_WEIGHT_RAW, Manifest
from .local_blobs import adopt_local_blob
from .model_layers import ordered_weights
from .model_store import ModelStore
from .transfer_progress import TransferMeter


def fetch_resolved(
    store: ModelStore,
    downloader: BlobDownloader,
    resolved: ResolvedModel,
    meter: TransferMeter,
    cancel: threading.Event,
) -> PullResult:
    """Download the blobs the store lacks (resuming partials), then write the manifest.

    Nothing is listed until the manifest is written, and it is written only after
    every blob verified. The caller pins the digests so `rm` cannot take them meanwhile.
    """
    ref = resolved.ref
    if not ordered_weights(resolved.manifest):
        raise InvalidParams(f"{ref.short} is not a GGUF model (its manifest has no GGUF weights layer)")
    sizes = {blob.digest: blob.size or 0 for blob in resolved.blobs}
    for digest in [*sizes, *resolved.inline_blobs]:
        store.blob_path(digest)  # a hostile digest is refused before anything is written
    _check_inline(resolved)
    missing = _missing_blobs(resolved)
    if missing:
        raise InvalidParams(f"the source gave no way to fetch blob {missing[0]} of {ref.short}")
    meter.total = sum(sizes.values()) + sum(len(data) for data in resolved.inline_blobs.values())
    fetched: list[str] = []
    downloaded = reused = 0
    try:
        for digest, data in resolved.inline_blobs.items():
            if not store.has_blob(digest):
                atomic_write_bytes(store.blob_path(digest), data)
            meter.skip(len(data))
        for blob in resolved.blobs:
            target = store.blob_path(blob.digest)
            if target.is_file():
                meter.skip(sizes[blob.digest])
                reused += sizes[blob.digest]
                continue
            if adopt_local_blob(store, blob, target, on_bytes=meter.add, cancel=cancel):
                reused += sizes[blob.digest]
                continue
            already = downloader.partial_bytes(blob)
            meter.skip(already)
            meter.set_phase("downloading", blob.digest)
            downloader.fetch(blob, target, on_bytes=meter.add, cancel=cancel)
            fetched.append(blob.digest)
            downloaded += sizes[blob.digest] - already
        meter.set_phase("verifying")
        check_weights_are_gguf(store, resolved.manifest)
    except (DigestMismatch, InvalidParams):
        # Bytes from a source we cannot trust are not kept for another model to reuse.
        keep = store.referenced_digests()
        for digest in fetched:
            if digest not in keep:
                store.remove_blob(digest)
        raise
    meter.set_phase("writing")
    store.write_manifest(ref, resolved.manifest_bytes)
    store.remove_in_place(ref)  # a pulled model replaces a file imported under the same name
    meter.set_phase("done", message=f"pulled {ref.short}")
    return PullResult(
        reference=ref.short,
        digest="sha256:" + hashlib.sha256(resolved.manifest_bytes).hexdigest(),
        size=meter.total,
        downloaded=downloaded,
        reused=reused,
    )


def _check_inline(resolved: ResolvedModel) -> None:
    for digest, data in resolved.inline_blobs.items():
        actual = "sha256:" + hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise DigestMismatch(
                f"the {resolved.source or 'model'} source made blob {digest[:19]} with other bytes ({actual[:19]})"
            )


def _missing_blobs(resolved: ResolvedModel) -> list[str]:
    """Digests the manifest names that neither a download nor an inline blob provides."""
    provided = {blob.digest for blob in resolved.blobs} | set(resolved.inline_blobs)
    named = [resolved.manifest.config.digest, *(layer.digest for layer in resolved.manifest.layers)]
    return [digest for digest in named if digest not in provided]


def check_weights_are_gguf(store: ModelStore, manifest: Manifest) -> None:
    """ModelPack's raw weights may be any format: only a GGUF (by its magic) can be run."""
    for layer in ordered_weights(manifest):
        if layer.media_type == MODELPACK_WEIGHT_RAW and not is_gguf(store.blob_path(layer.digest)):
            raise InvalidParams(
                f"layer {layer.digest[:19]} holds raw weights that are not a GGUF; only GGUF models can be run"
            )
