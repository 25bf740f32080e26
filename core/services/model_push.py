"""Sending a stored model to the registry its reference names (`models.push`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..errors import N_, Cancelled, InvalidParams, NotFound, Unavailable
from ..http_client import HttpClient
from ..interfaces.model_source import ModelSource, PushableSource, PushRequest
from ..models.library import PullProgress, PushResult
from ..models.reference import ModelRef
from .model_store import ModelStore
from .model_summaries import manifest_digest
from .transfer_progress import TransferMeter


def push_model(
    store: ModelStore,
    ref: ModelRef,
    source: ModelSource,
    http: HttpClient,
    on_progress: Callable[[PullProgress], None] | None,
    cancel: threading.Event | None,
) -> PushResult:
    if store.read_in_place(ref) is not None:
        raise InvalidParams(
            N_("{short} is used in place; import it without --in-place to push it to a registry"),
            short=ref.short,
        )
    manifest, data = store.read_manifest(ref)
    if not isinstance(source, PushableSource):
        raise Unavailable(N_("the {name} source cannot push models"), name=source.name)
    digests = [manifest.config.digest, *(layer.digest for layer in manifest.layers)]
    paths = {d: store.blob_path(d) for d in digests}
    missing = [d for d, p in paths.items() if not p.is_file()]
    if missing:
        raise NotFound(
            N_("{short} is incomplete: blob {missing} is missing; pull it again"),
            short=ref.short,
            missing=missing[0],
        )
    meter = TransferMeter(sum(p.stat().st_size for p in paths.values()), on_progress, phase="uploading")
    meter.set_phase("uploading", message=f"pushing {ref.short}")
    source.push(
        PushRequest(
            ref=ref,
            manifest=manifest,
            manifest_bytes=data,
            blob_paths=paths,
            on_bytes=meter.add,
            cancelled=(cancel or threading.Event()).is_set,
        ),
        http,
    )
    if cancel is not None and cancel.is_set():
        raise Cancelled(
            N_("the push of {short} was cancelled; blobs already sent stay on the registry"), short=ref.short
        )
    meter.set_phase("done", message=f"pushed {ref.short}")
    return PushResult(reference=ref.short, digest=manifest_digest(data), size=meter.total)
