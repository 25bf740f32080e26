"""What the model library hands out: listings, details, progress and results of its commands."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import CommandParams, Record
from .commands import ProgressEvent
from .gguf import GGUFInfo
from .memory import MemoryEstimate


class LayerInfo(Record):
    """One blob of a stored model."""

    kind: str = Field(
        description="weights, projector, adapter, template, params, system, license, config or other."
    )
    media_type: str
    digest: str
    size: int
    file_name: str | None = Field(None, description="The file name the layer carries, if any.")
    on_disk: bool = Field(True, description="The blob is in the store; false for a model left incomplete.")


class ModelSummary(Record):
    """One model of the library, as `llamadesk list` shows it."""

    reference: str = Field(description="Short reference, e.g. smollm2:latest or ai/smollm2:latest.")
    full_reference: str = Field(description="host/namespace/name:tag.")
    size: int = Field(description="Bytes of all its blobs (shared blobs counted in full).")
    modified: float = Field(description="When it was pulled or imported (Unix time).")
    digest: str = Field(description="sha256 of the manifest; empty for a model used in place.")
    format: str = Field(description="ollama, docker, modelpack or in-place.")
    in_place: bool = Field(False, description="The GGUF stays where it was imported from.")
    status: str = Field(
        "ready",
        description="ready; incomplete (blobs missing, see missing_blobs: pull it again); "
        "file-gone or file-changed (an in-place GGUF since it was imported).",
    )
    problem: str | None = Field(
        None,
        description="Why it may not load: blobs missing from the store, or an in-place file "
        "that is gone or changed since import.",
    )
    missing_blobs: list[str] = Field(
        default_factory=list, description="Digests the manifest names that are not in the store."
    )


class ModelDetails(Record):
    """Everything known about one model, from its manifest and its GGUF header."""

    summary: ModelSummary
    files: list[str] = Field(
        description="GGUF files to load, in order (shards of a split model); empty while blobs are missing."
    )
    layers: list[LayerInfo] = Field(default_factory=list)
    manifest: dict[str, Any] | None = Field(None, description="The stored manifest as JSON.")
    gguf: GGUFInfo | None = Field(None, description="Metadata read from the first file's header.")
    template: str | None = Field(None, description="Ollama template layer, if any.")
    system: str | None = Field(None, description="Ollama system prompt layer, if any.")
    params: dict[str, Any] | None = Field(None, description="Ollama params layer, if any.")
    license: str | None = Field(None, description="License text (from a layer or the GGUF), shortened.")
    memory_estimate: MemoryEstimate | None = Field(
        None, description="Memory needed to load it at the default context size, and whether it fits now."
    )


class DiscoveredModel(Record):
    """A GGUF already on this machine that can be imported (in place or by copy)."""

    path: str
    source: str = Field(description="Who keeps it: huggingface, lmstudio, or another plugin's name.")
    size: int
    suggested_name: str = Field("", description="A reference to import it under (the library fills it in).")
    repository: str | None = Field(
        None, description="The repo it came from, e.g. bartowski/Llama-3.2-1B-GGUF."
    )
    imported: bool = Field(False, description="Already in the library (imported in place).")


class RemoteModelInfo(Record):
    """A model a backend serves from elsewhere (a remote server): loaded by id, never downloaded."""

    id: str = Field(description="The id to load it by, e.g. @gpubox/qwen2.5:7b.")
    backend: str = Field(description="The backend that serves it.")
    where: str = Field("", description="Where it runs, e.g. the server's URL.")


class ModelList(Record):
    models: list[ModelSummary]
    remote: list[RemoteModelInfo] = Field(
        default_factory=list, description="Models served by remote backends: loadable, not downloaded."
    )
    importable: list[DiscoveredModel] = Field(
        default_factory=list, description="GGUFs found in the Hugging Face cache and LM Studio's folder."
    )
    ollama_store: str | None = Field(
        None,
        description="An Ollama model store on this machine that is not in use; set models_dir to use it.",
    )


class PullProgress(ProgressEvent):
    """Progress of a pull, push or import: `done`/`total` are bytes of the whole model."""

    kind: str = "pull"
    phase: str = Field(description="resolving, downloading, uploading, copying, verifying, writing or done.")
    digest: str = Field("", description="The blob being transferred.")
    bytes_per_second: float = 0.0
    eta_seconds: float | None = None


class PullResult(Record):
    reference: str
    digest: str = Field(description="sha256 of the stored manifest.")
    size: int = Field(description="Bytes of the model.")
    downloaded: int = Field(description="Bytes fetched over the network by this pull.")
    reused: int = Field(description="Bytes already in the store (shared blobs, an earlier pull).")


class ImportResult(Record):
    reference: str
    in_place: bool
    files: list[str] = Field(description="Where the GGUF(s) of the model now are.")
    size: int


class RemoveResult(Record):
    reference: str
    freed: int = Field(description="Bytes of blobs deleted (shared blobs are kept).")
    removed_blobs: list[str]


class PushResult(Record):
    reference: str
    digest: str
    size: int


class DiskUsage(Record):
    models_dir: str
    model_count: int
    blob_count: int
    blob_bytes: int = Field(description="Bytes in blobs/, each shared blob once.")
    unreferenced_bytes: int = Field(description="Blobs no manifest refers to.")
    partial_bytes: int = Field(description="Unfinished downloads kept for resuming.")
    in_place_bytes: int = Field(description="GGUFs used in place, outside the store.")
    free_bytes: int = Field(description="Free space on the store's disk.")


class PartialDownload(Record):
    """An unfinished download kept for resuming (or an import's temporary copy): disk it holds."""

    name: str = Field(description="File name under <models_dir>/.llamadesk/partial/.")
    kind: str = Field(description="download (a blob being pulled), import or adopt (temporary copies).")
    digest: str | None = Field(None, description="sha256 of the blob being downloaded; none for a copy.")
    references: list[str] = Field(
        default_factory=list, description="Models whose pulls wanted this blob; empty when unknown."
    )
    on_disk: int = Field(description="Bytes it takes on the disk now.")
    done: int = Field(description="Bytes of the blob downloaded so far.")
    size: int | None = Field(None, description="Bytes of the whole blob, when known.")
    modified: float = Field(description="Last written (Unix time).")
    in_use: bool = Field(False, description="A running pull or import holds it: it cannot be removed now.")
    path: str


class PartialList(Record):
    """What `llamadesk list --partials` and the Models screen show of unfinished downloads."""

    models_dir: str
    partials: list[PartialDownload] = Field(description="Oldest first.")
    total_bytes: int = Field(description="Bytes all of them take on the disk.")
    free_bytes: int = Field(description="Free space on the models folder's disk.")


class DiscardResult(Record):
    reference: str | None = Field(description="Whose partials were removed; none for all of them.")
    removed: list[PartialDownload]
    in_use: list[PartialDownload] = Field(
        default_factory=list, description="Partials a running pull or import holds: kept."
    )
    freed: int = Field(description="Bytes given back to the disk.")


# --- models.* commands ----------------------------------------------------------------

REFERENCE_HELP = (
    "A model reference: smollm2, smollm2:135m, ai/smollm2, localhost:5000/team/model:tag, "
    "hf.co/user/repo:Q4_K_M."
)


class ReferenceParams(CommandParams):
    reference: str = Field(description=REFERENCE_HELP)


class ListParams(CommandParams):
    discover: bool = Field(
        True, description="Also list GGUFs found in the Hugging Face cache and LM Studio's folder."
    )


class ImportModelParams(CommandParams):
    path: str = Field(description="A GGUF file (for a split model, its first shard).")
    name: str | None = Field(None, description="Reference to import it under; default from the file name.")
    in_place: bool = Field(
        False, description="Use the file where it is instead of copying it into the store."
    )


class CopyParams(CommandParams):
    source: str = Field(description="The model to copy. " + REFERENCE_HELP)
    target: str = Field(description="The new reference, e.g. localhost:5000/team/model:tag before a push.")


class DiscardParams(CommandParams):
    reference: str | None = Field(
        None, description="Remove this model's partial downloads; empty removes every one not in use."
    )


class CancelResult(Record):
    cancelled: bool = Field(description="False when no pull of that reference was running.")
