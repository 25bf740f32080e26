"""The model library (`app.library`): what models there are, and getting them in and out.

Policy lives here; files are the store's (`model_store.py`), bytes the
downloader's (`core/downloader.py`), registries the sources' (plugins). Every
public method takes a reference as text or `ModelRef` and raises LlamadeskError
subclasses with messages meant for the user.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from ..disk_space import MB, require_space, translated_disk_errors
from ..downloader import BlobDownloader
from ..errors import N_, AlreadyExists, InvalidParams, Unavailable
from ..http_client import HttpClient
from ..interfaces.model_source import ModelSource
from ..models.app_config import DownloadOptions
from ..models.gguf import GGUFInfo
from ..models.library import (
    DiscardResult,
    DiscoveredModel,
    DiskUsage,
    ImportResult,
    ModelDetails,
    ModelList,
    ModelSummary,
    PartialList,
    PullProgress,
    PullResult,
    PushResult,
    RemoteModelInfo,
    RemoveResult,
)
from ..models.memory import MemoryEstimate
from ..models.reference import ModelRef, parse_reference
from . import model_import, model_partials
from .model_details import model_details
from .model_layers import model_files
from .model_pull import fetch_resolved, resolve_cancellable
from .model_push import push_model
from .model_store import DIGEST, ModelStore
from .model_summaries import summarize, summarize_in_place
from .transfer_progress import TransferMeter

log = logging.getLogger(__name__)

ProgressSink = Callable[[PullProgress], None]


class ModelLibrary:
    """Models in `models_dir` (Ollama layout), pulled by sources, imported from files."""

    def __init__(
        self,
        *,
        models_dir: Callable[[], Path],
        sources: Callable[[], list[ModelSource]],
        proxy: Callable[[], str | None] = lambda: None,
        memory_estimate: Callable[[GGUFInfo], MemoryEstimate | None] = lambda _info: None,
        remote_models: Callable[[], list[RemoteModelInfo]] = list,
        discover: Callable[[], list[DiscoveredModel]] = list,
        options: Callable[[], DownloadOptions] = DownloadOptions,
    ) -> None:
        """`remote_models` lists every backend's models that have no file here (a remote
        server's); `discover` the GGUFs other apps keep on this machine (plugins find them);
        `options` the free space margin and network timeout of pulls."""
        self._models_dir = models_dir
        self._sources = sources
        self._proxy = proxy
        self._options = options
        # Both come from the runtime, which knows the load options, free memory and backends.
        self._memory_estimate = memory_estimate
        self._remote_models = remote_models
        self._discover = discover
        self._lock = threading.Lock()
        self._active: dict[str, threading.Event] = {}  # full reference -> cancel of a running pull
        self._pinned: Counter[str] = Counter()  # digests a running pull relies on: rm must keep them

    # -- parts -----------------------------------------------------------------------------

    @property
    def store(self) -> ModelStore:
        return ModelStore(self._models_dir())

    def http(self) -> HttpClient:
        return HttpClient(proxy=self._proxy(), timeout=self._options().timeout_s)

    def downloader(self, store: ModelStore | None = None) -> BlobDownloader:
        store = store or self.store
        return BlobDownloader(self.http(), store.partial_dir, store_dir=store.root)

    @property
    def space_margin(self) -> int:
        """Bytes a pull or import must leave free on the models folder's disk."""
        return self._options().free_space_margin_mb * MB

    @staticmethod
    def parse(reference: str | ModelRef) -> ModelRef:
        return reference if isinstance(reference, ModelRef) else parse_reference(reference)

    def source_for(self, ref: ModelRef) -> ModelSource:
        for source in self._sources():
            if source.handles(ref):
                return source
        raise Unavailable(
            N_("no model source can fetch {full} (is the plugin for {host} installed?)"),
            full=ref.full,
            host=ref.host,
        )

    # -- reading ---------------------------------------------------------------------------

    def list_models(self, *, discover: bool = True) -> ModelList:
        store = self.store
        found = [summarize(store, ref) for ref, _ in store.iter_manifests()]
        found += [summarize_in_place(store, ref) for ref, _ in store.iter_in_place()]
        models = sorted((m for m in found if m is not None), key=lambda m: m.full_reference)
        importable: list[DiscoveredModel] = []
        if discover:
            in_place: set[str] = set()
            for ref, _ in store.iter_in_place():
                record = store.read_in_place(ref)
                in_place |= {str(f) for f in record.files} if record else set()
            importable = self._importable(in_place)
        ollama = ollama_store_dir()
        in_use = ollama is not None and ollama.resolve() == store.root.resolve()
        return ModelList(
            models=models,
            remote=self._remote_models(),
            importable=importable,
            ollama_store=str(ollama) if ollama and not in_use else None,
        )

    def _importable(self, in_place: set[str]) -> list[DiscoveredModel]:
        """What plugins found, named for import and marked when used in place already (a
        cache's snapshot files are links to its blobs: paths are compared resolved)."""
        return [
            found.model_copy(
                update={
                    "suggested_name": found.suggested_name
                    or model_import.suggested_name(Path(found.path).name),
                    "imported": str(Path(found.path).resolve()) in in_place,
                }
            )
            for found in self._discover()
        ]

    def show(self, reference: str | ModelRef) -> ModelDetails:
        return model_details(self.store, self.parse(reference), self.model_files, self._memory_estimate)

    def model_files(self, reference: str | ModelRef) -> list[Path]:
        """The GGUF file(s) to load, in shard order. Split models get a folder of named links."""
        return model_files(self.store, self.parse(reference))

    def resolve_model_path(self, reference: str | ModelRef) -> Path:
        """The path to hand llama.cpp: the GGUF, or the first shard of a split model."""
        return self.model_files(reference)[0]

    # -- pulling ---------------------------------------------------------------------------

    def pull(
        self,
        reference: str | ModelRef,
        *,
        on_progress: ProgressSink | None = None,
        cancel: threading.Event | None = None,
    ) -> PullResult:
        """Fetch a model's blobs (resuming partials), verify each, then write its manifest."""
        ref = self.parse(reference)
        self.store.manifest_path(ref)  # refuses a reference whose path leaves the store, before any request
        cancel = cancel or threading.Event()
        with self._running(ref, cancel):
            meter = TransferMeter(0, on_progress, phase="resolving")
            meter.set_phase("resolving", message=f"resolving {ref.pinned}")
            resolved = resolve_cancellable(self.source_for(ref), ref, self.http(), cancel)
            store = self.store
            with self._pinning({blob.digest for blob in resolved.blobs} | set(resolved.inline_blobs)):
                return fetch_resolved(
                    store, self.downloader(store), resolved, meter, cancel, margin=self.space_margin
                )

    def cancel(self, reference: str | ModelRef) -> bool:
        """Cancel a running pull of `reference`; False if none is running."""
        ref = self.parse(reference)
        with self._lock:
            event = self._active.get(ref.full)
        if event is None:
            return False
        event.set()
        return True

    def cancel_all(self) -> None:
        with self._lock:
            events = list(self._active.values())
        for event in events:
            event.set()

    @contextmanager
    def _running(self, ref: ModelRef, cancel: threading.Event) -> Iterator[None]:
        with self._lock:
            if ref.full in self._active:
                raise AlreadyExists(N_("{short} is already being pulled"), short=ref.short)
            self._active[ref.full] = cancel
        try:
            yield
        finally:
            with self._lock:
                self._active.pop(ref.full, None)

    @contextmanager
    def _pinning(self, digests: set[str]) -> Iterator[None]:
        with self._lock:
            self._pinned.update(digests)
        try:
            yield
        finally:
            with self._lock:
                self._pinned.subtract(digests)
                self._pinned += Counter()  # drops counts that reached zero

    # -- removing --------------------------------------------------------------------------

    def remove(self, reference: str | ModelRef) -> RemoveResult:
        """Delete a model; its blobs go only when no other manifest (or running pull) uses them."""
        ref = self.parse(reference)
        store = self.store
        if store.remove_in_place(ref):  # the user's file itself is never touched
            return RemoveResult(reference=ref.short, freed=0, removed_blobs=[])
        digests = store.manifest_digests(ref)
        store.remove_manifest(ref)
        keep = store.referenced_digests()
        with self._lock:
            keep |= set(self._pinned)
        # A digest that is not sha256 hex names no blob of ours (a hostile manifest): never delete by it.
        removed = sorted(d for d in digests if d not in keep and DIGEST.match(d))
        freed = sum(store.remove_blob(d) for d in removed)
        return RemoveResult(reference=ref.short, freed=freed, removed_blobs=removed)

    def copy(self, source: str | ModelRef, target: str | ModelRef) -> ModelSummary:
        """Store a model under another name too (`ollama cp`): the manifest is copied, blobs shared."""
        src, dst = self.parse(source), self.parse(target)
        _refuse_pin(dst, "copy to")
        store = self.store
        if not model_import.name_is_free(store, dst):
            raise AlreadyExists(N_("{short} is already in the library; remove it first"), short=dst.short)
        record = store.read_in_place(src)
        if record is not None:
            store.write_in_place(replace(record, ref=dst))
            summary = summarize_in_place(store, dst)
        else:
            _, data = store.read_manifest(src)
            store.write_manifest(dst, data)
            summary = summarize(store, dst)
        assert summary is not None
        return summary

    # -- importing -------------------------------------------------------------------------

    def import_file(
        self,
        path: Path | str,
        *,
        name: str | None = None,
        in_place: bool = False,
        on_progress: ProgressSink | None = None,
        cancel: threading.Event | None = None,
    ) -> ImportResult:
        """Add a local GGUF (or the first shard of a split one), copied or in place."""
        source = Path(path).expanduser()
        files, info = model_import.gguf_files(source)
        ref = self.parse(name or model_import.suggested_name(source.name))
        store = self.store
        if not model_import.name_is_free(store, ref):
            raise AlreadyExists(
                N_("{short} is already in the library; remove it first or import under another --name"),
                short=ref.short,
            )
        size = sum(f.stat().st_size for f in files)
        if in_place:
            record = model_import.register_in_place(store, ref, files)
            return ImportResult(
                reference=ref.short, in_place=True, files=[str(f) for f in record.files], size=size
            )
        with translated_disk_errors(store.root, f"importing {source.name}"):
            require_space(store.root, size, margin=self.space_margin, doing=f"import {source.name}")
            meter = TransferMeter(size, on_progress)
            meter.set_phase("copying", message=f"copying {source.name}")
            model_import.copy_into_store(store, ref, files, info, on_bytes=meter.add, cancel=cancel)
        meter.set_phase("done", message=f"imported {ref.short}")
        return ImportResult(
            reference=ref.short, in_place=False, files=[str(f) for f in self.model_files(ref)], size=size
        )

    def keep_in_place(self, path: Path) -> ImportResult:
        """`path` in the library, used in place: the model that already uses it, else a new
        import under its suggested name (the starter model after its first fetch)."""
        store = self.store
        wanted = path.resolve()
        for ref, _ in store.iter_in_place():
            record = store.read_in_place(ref)
            if record is not None and [f.resolve() for f in record.files] == [wanted]:
                size = sum(record.sizes)
                return ImportResult(reference=ref.short, in_place=True, files=[str(path)], size=size)
        return self.import_file(path, in_place=True)

    # -- pushing ---------------------------------------------------------------------------

    def push(
        self,
        reference: str | ModelRef,
        *,
        on_progress: ProgressSink | None = None,
        cancel: threading.Event | None = None,
    ) -> PushResult:
        """Send a stored model to the registry its reference names."""
        ref = self.parse(reference)
        _refuse_pin(ref, "push")
        return push_model(self.store, ref, self.source_for(ref), self.http(), on_progress, cancel)

    # -- disk ------------------------------------------------------------------------------

    def disk_usage(self) -> DiskUsage:
        return self.store.disk_usage()

    def partials(self) -> PartialList:
        """Unfinished downloads (and an import's temporary copies): what they hold of the disk."""
        return model_partials.partial_list(self.store)

    def discard_partials(self, reference: str | ModelRef | None = None) -> DiscardResult:
        """Remove the partial downloads of `reference` (every one when None); those a running
        pull or import holds are kept and listed as `in_use`."""
        ref = self.parse(reference) if reference is not None else None
        if ref is not None:
            with self._lock:
                if ref.full in self._active:
                    raise AlreadyExists(
                        N_("{short} is being pulled; cancel it first (`models.cancel`, Ctrl+C)"),
                        short=ref.short,
                    )
        return model_partials.discard(self.store, ref)


def ollama_store_dir() -> Path | None:
    """An Ollama store on this machine (`OLLAMA_MODELS` or `~/.ollama/models`), if there is one."""
    env = os.environ.get("OLLAMA_MODELS")
    candidate = Path(env).expanduser() if env else Path.home() / ".ollama" / "models"
    return candidate if (candidate / "manifests").is_dir() else None


def _refuse_pin(ref: ModelRef, action: str) -> None:
    """A digest says which manifest to fetch; a name a model is written under takes a tag."""
    if ref.digest:
        raise InvalidParams(
            N_("cannot {action} {pinned}: name it with a tag, not a digest"), action=action, pinned=ref.pinned
        )
