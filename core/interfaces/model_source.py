"""What a model source provides: turning a reference into a manifest and blob URLs.

A source never writes to the store. The library asks each source (in plugin
order) whether it `handles()` a reference, calls `resolve()` to learn what to
fetch, downloads every blob with the one downloader (`core/downloader.py`),
and writes the manifest only once every blob verified. So a new source (the
OCI registries, Hugging Face, a company mirror) is just a resolver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..models.download import BlobRequest
from ..models.manifest import Manifest
from ..models.reference import ModelRef
from .http import HttpClient


@dataclass(frozen=True)
class ResolvedModel:
    """A reference resolved by a source: the manifest to store and where each blob comes from.

    `manifest_bytes` are written to the store unchanged (a registry's manifest
    keeps its digest; Ollama reads it as is). `blobs` holds one request per
    distinct digest of the config and the layers that comes from a URL; each
    request's `headers` (or its `authorize` callback) carry the auth that URL needs.
    """

    ref: ModelRef
    manifest: Manifest
    manifest_bytes: bytes
    blobs: list[BlobRequest]
    source: str = ""
    # Blobs the source made itself (a config or template it wrote for a hub that has none):
    # digest -> bytes. The library checks each digest and stores them with the downloads.
    inline_blobs: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class PushRequest:
    """A local model to send to a source: its manifest and the files holding each blob."""

    ref: ModelRef
    manifest: Manifest
    manifest_bytes: bytes
    blob_paths: Mapping[str, Path]  # digest -> file
    on_bytes: Callable[[int], None] | None = None
    cancelled: Callable[[], bool] = field(default=lambda: False)


@runtime_checkable
class ModelSource(Protocol):
    """Resolves model references to a manifest and blob requests.

    `name` is shown to users (`oci`, `huggingface`). `http` is the app's
    client (it honours the proxy setting); use it for every request.
    """

    name: str

    def handles(self, ref: ModelRef) -> bool:
        """True if this source knows how to fetch `ref` (e.g. by its host)."""
        ...

    def resolve(self, ref: ModelRef, http: HttpClient) -> ResolvedModel:
        """Look `ref` up and return what to download. Raise NotFound for an unknown
        model or tag, RegistryError for an answer that cannot be used."""
        ...


@runtime_checkable
class PushableSource(ModelSource, Protocol):
    """A source that can also receive models (`llamadesk push REF`)."""

    def push(self, request: PushRequest, http: HttpClient) -> None:
        """Upload every blob the registry lacks, then the manifest under `request.ref`'s tag."""
        ...
