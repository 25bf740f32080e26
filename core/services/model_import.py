"""Importing a local GGUF: copied into the store as an Ollama model, or registered in place.

A copy becomes exactly what `ollama create` would write: a Docker image config
blob, one `application/vnd.ollama.image.model` layer per file, and a Docker v2
manifest, so Ollama can run it too. In place, nothing is copied or hashed: a
record under `.llamadesk/in-place/` remembers the paths with their size and
modification time (to tell the user when the file changed or went away).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from ..errors import N_, Cancelled, InvalidParams, NotFound
from ..fileio import atomic_write_bytes
from ..gguf import read_gguf
from ..models.gguf import SPLIT_FILE_NAME, GGUFInfo
from ..models.manifest import (
    DOCKER_IMAGE_CONFIG,
    DOCKER_MANIFEST,
    OLLAMA_MODEL,
    TITLE_ANNOTATION,
    Descriptor,
    Manifest,
)
from ..models.reference import ModelRef
from .model_store import InPlaceRecord, ModelStore

COPY_PIECE = 8 * 1024 * 1024
_NAME_CHARS = re.compile(r"[^a-z0-9._-]+")


def suggested_name(file_name: str) -> str:
    """`SmolLM2-135M-Instruct.Q4_1.gguf` -> `smollm2-135m-instruct:q4_1` (quantization as the tag)."""
    stem = SPLIT_FILE_NAME.sub("", file_name)
    stem = re.sub(r"\.gguf$", "", stem, flags=re.IGNORECASE).lower()
    match = re.match(r"^(.+?)[.-]((?:i?q\d|f16|f32|bf16)[a-z0-9_]*)$", stem)
    name, tag = (match.group(1), match.group(2)) if match else (stem, "latest")
    name = _NAME_CHARS.sub("-", name).strip("-._")[:100] or "model"
    tag = _NAME_CHARS.sub("-", tag).strip("-._")[:100] or "latest"
    return f"{name}:{tag}"


def gguf_files(path: Path) -> tuple[list[Path], GGUFInfo]:
    """The file(s) a GGUF at `path` is made of: itself, or every shard when it is shard 1 of a split."""
    if not path.is_file():
        raise NotFound(N_("{path} does not exist or is not a file"), path=str(path))
    info = read_gguf(path)  # raises a clear error for a non-GGUF or a truncated file
    if info.split_count <= 1:
        return [path], info
    match = SPLIT_FILE_NAME.search(path.name)
    if info.split_index != 0 or match is None:
        raise InvalidParams(
            N_("{name} is shard {shard} of a split model; import the first shard"),
            name=path.name,
            shard=info.split_index + 1,
        )
    prefix = path.name[: match.start()]
    shards = [
        path.with_name(f"{prefix}-{i:05d}-of-{info.split_count:05d}.gguf")
        for i in range(1, info.split_count + 1)
    ]
    missing = [s.name for s in shards if not s.is_file()]
    if missing:
        raise NotFound(
            N_("{name} is split in {split_count} files but {missing} is missing"),
            name=path.name,
            split_count=info.split_count,
            missing=", ".join(missing),
        )
    for shard in shards[1:]:
        read_gguf(shard)
    return shards, info


def register_in_place(store: ModelStore, ref: ModelRef, files: list[Path]) -> InPlaceRecord:
    stats = [f.stat() for f in files]
    record = InPlaceRecord(
        ref=ref,
        files=[f.resolve() for f in files],
        sizes=[s.st_size for s in stats],
        mtimes=[s.st_mtime for s in stats],
        imported_at=time.time(),
    )
    store.write_in_place(record)
    return record


def copy_into_store(
    store: ModelStore,
    ref: ModelRef,
    files: list[Path],
    info: GGUFInfo,
    *,
    on_bytes: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> bytes:
    """Copy `files` into blobs (hashing as they are copied) and write an Ollama manifest. Returns it."""
    layers = []
    for file in files:
        digest, size = ingest_file(store, file, on_bytes=on_bytes, cancel=cancel)
        annotations = {TITLE_ANNOTATION: file.name} if len(files) > 1 else None
        layers.append(Descriptor(media_type=OLLAMA_MODEL, digest=digest, size=size, annotations=annotations))
    config = json.dumps(
        {
            "model_format": "gguf",
            "model_family": info.architecture,
            "model_families": [info.architecture] if info.architecture else None,
            "model_type": _parameter_label(info.parameter_count),
            "file_type": info.quantization,
            "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]},
        },
        separators=(",", ":"),
    ).encode()
    config_digest = ingest_bytes(store, config)
    manifest = Manifest(
        schema_version=2,
        media_type=DOCKER_MANIFEST,
        config=Descriptor(media_type=DOCKER_IMAGE_CONFIG, digest=config_digest, size=len(config)),
        layers=layers,
    )
    data = manifest.model_dump_json(by_alias=True, exclude_none=True).encode()
    store.write_manifest(ref, data)
    return data


def ingest_file(
    store: ModelStore,
    source: Path,
    *,
    on_bytes: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[str, int]:
    """Copy a file into blobs/ under its sha256; an identical blob already there is reused."""
    store.partial_dir.mkdir(parents=True, exist_ok=True)
    hasher = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix="import-", dir=store.partial_dir)
    try:
        if fcntl is not None:  # `llamadesk pull --discard` leaves a copy someone holds alone
            fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            while piece := src.read(COPY_PIECE):
                if cancel is not None and cancel.is_set():
                    raise Cancelled(N_("the import was cancelled"))
                hasher.update(piece)
                out.write(piece)
                size += len(piece)
                if on_bytes is not None:
                    on_bytes(len(piece))
            out.flush()
            os.fsync(out.fileno())
        digest = "sha256:" + hasher.hexdigest()
        target = store.blob_path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, target)
        return digest, size
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def ingest_bytes(store: ModelStore, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    target = store.blob_path(digest)
    if not target.exists():
        atomic_write_bytes(target, data)
    return digest


def _parameter_label(count: int) -> str:
    """135M, 1.2B: how Ollama's config names a model's size."""
    if count >= 1_000_000_000:
        return f"{count / 1e9:.1f}B".replace(".0B", "B")
    if count >= 1_000_000:
        return f"{round(count / 1e6)}M"
    return str(count)


def name_is_free(store: ModelStore, ref: ModelRef) -> bool:
    return not store.manifest_path(ref).exists() and store.read_in_place(ref) is None
