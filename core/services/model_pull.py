"""Fetching a resolved model into the store: every blob verified, then the manifest, atomically."""

from __future__ import annotations

import hashlib
import logging
import os
import threading

from pydantic import ValidationError

from ..disk_space import existing_folder, require_space, translated_disk_errors
from ..downloader import BlobDownloader
from ..errors import N_, Cancelled, DigestMismatch, InvalidParams, RegistryError, validation_summary
from ..fileio import atomic_write_bytes
from ..gguf import is_gguf
from ..interfaces.http import HttpClient
from ..interfaces.model_source import ModelSource, ResolvedModel
from ..models.download import BlobRequest
from ..models.library import PullResult
from ..models.manifest import MODELPACK_WEIGHT_RAW, Manifest
from ..models.reference import ModelRef
from ..models.units import size_label
from .local_blobs import adopt_local_blob
from .model_layers import ordered_weights
from .model_store import ModelStore
from .transfer_progress import TransferMeter

log = logging.getLogger(__name__)

# No model file is this big (the largest GGUFs are a few TB; ext4 files end at 16 TiB): a
# size beyond it is a hostile or broken manifest, refused before anything is written.
MAX_BLOB_BYTES = 1 << 44


def resolve_cancellable(
    source: ModelSource, ref: ModelRef, http: HttpClient, cancel: threading.Event
) -> ResolvedModel:
    """The source's answer, waited for on a side thread so that a cancel ends the wait at
    once (a registry that stalls then holds only that thread, until the network timeout)."""
    outcome: list[ResolvedModel | BaseException] = []
    finished = threading.Event()

    def run() -> None:
        try:
            outcome.append(source.resolve(ref, http))
        except BaseException as exc:
            outcome.append(exc)
        finally:
            finished.set()

    threading.Thread(target=run, name=f"llamadesk-resolve-{ref.name}", daemon=True).start()
    while not finished.wait(0.05):
        if cancel.is_set():
            break
    if cancel.is_set():
        raise Cancelled(N_("the pull of {short} was cancelled"), short=ref.short)
    result = outcome[0]
    if isinstance(result, ValidationError):  # the source built a model from an answer that does not fit
        log.info("the %s source's answer for %s does not validate: %s", source.name, ref.short, result)
        raise RegistryError(
            N_("the {name} source got an answer for {short} it cannot use: {problem}"),
            name=source.name,
            short=ref.short,
            problem=validation_summary(result),
        ) from result
    if isinstance(result, BaseException):
        raise result
    return result


def fetch_resolved(
    store: ModelStore,
    downloader: BlobDownloader,
    resolved: ResolvedModel,
    meter: TransferMeter,
    cancel: threading.Event,
    *,
    margin: int = 0,
) -> PullResult:
    """Download the blobs the store lacks (resuming partials), then write the manifest.

    Nothing is listed until the manifest is written, and it is written only after
    every blob verified. The caller pins the digests so `rm` cannot take them meanwhile.
    Before any byte moves, what is still needed must fit on the disk with `margin` to spare.
    """
    ref = resolved.ref
    if not ordered_weights(resolved.manifest):
        raise InvalidParams(
            N_("{short} is not a GGUF model (its manifest has no GGUF weights layer)"), short=ref.short
        )
    sizes = {blob.digest: blob.size or 0 for blob in resolved.blobs}
    for digest in [*sizes, *resolved.inline_blobs]:
        store.blob_path(digest)  # a hostile digest is refused before anything is written
    _check_sizes(resolved)
    _check_inline(resolved)
    missing = _missing_blobs(resolved)
    if missing:
        raise InvalidParams(
            N_("the source gave no way to fetch blob {missing} of {short}"),
            missing=missing[0],
            short=ref.short,
        )
    with translated_disk_errors(store.root, f"pulling {ref.short}"):
        require_space(
            store.root, bytes_to_fetch(store, downloader, resolved), margin=margin, doing=f"pull {ref.short}"
        )
        return _fetch(store, downloader, resolved, meter, cancel, sizes)


def _fetch(
    store: ModelStore,
    downloader: BlobDownloader,
    resolved: ResolvedModel,
    meter: TransferMeter,
    cancel: threading.Event,
    sizes: dict[str, int],
) -> PullResult:
    ref = resolved.ref
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
            downloader.fetch(blob, target, on_bytes=meter.add, cancel=cancel, label=ref.short)
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


def bytes_to_fetch(store: ModelStore, downloader: BlobDownloader, resolved: ResolvedModel) -> int:
    """Bytes this pull will still write: blobs not in the store, less what their partials hold
    and what can be hard linked from a local copy (another app's cache on this disk)."""
    need = sum(len(data) for digest, data in resolved.inline_blobs.items() if not store.has_blob(digest))
    device = os.stat(existing_folder(store.root)).st_dev
    for blob in resolved.blobs:
        if blob.size is None or store.has_blob(blob.digest) or _linkable(blob, device):
            continue
        need += max(0, blob.size - downloader.partial_bytes(blob))
    return need


def _linkable(blob: BlobRequest, device: int) -> bool:
    """A local copy of the right size on the store's disk: adopting it takes no space."""
    for candidate in blob.local_files:
        try:
            stat = candidate.stat()
        except OSError:
            continue
        if stat.st_dev == device and stat.st_size == blob.size:
            return True
    return False


def _check_sizes(resolved: ResolvedModel) -> None:
    """Sizes no file can have are refused at once (they would fail only after a long wait)."""
    for blob in resolved.blobs:
        if blob.size is not None and not 0 <= blob.size <= MAX_BLOB_BYTES:
            raise RegistryError(
                N_(
                    "the {source} source says blob {short_digest} of {short} is {size_text}, which no "
                    "model file is; it was not pulled"
                ),
                digest=blob.digest,
                size=blob.size,
                source=resolved.source or "model",
                short_digest=blob.digest[:19],
                short=resolved.ref.short,
                size_text=_size_text(blob.size),
            )


def _size_text(size: int) -> str:
    return f"{size} bytes" if size < 0 else size_label(size)


def _check_inline(resolved: ResolvedModel) -> None:
    for digest, data in resolved.inline_blobs.items():
        actual = "sha256:" + hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise DigestMismatch(
                N_("the {source} source made blob {digest} with other bytes ({actual})"),
                source=resolved.source or "model",
                digest=digest[:19],
                actual=actual[:19],
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
                N_("layer {digest} holds raw weights that are not a GGUF; only GGUF models can be run"),
                digest=layer.digest[:19],
            )
