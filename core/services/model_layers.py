"""Reading a manifest's layers: which hold weights (in shard order), which hold text, what
format it is, and which files a model loads from."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from ..errors import N_, NotFound
from ..models.library import LayerInfo
from ..models.manifest import (
    DOCKER_MODEL_CONFIG_V01,
    DOCKER_MODEL_CONFIG_V02,
    LICENSE_MEDIA_TYPES,
    MODELPACK_CONFIG,
    OLLAMA_ADAPTER,
    OLLAMA_PARAMS,
    OLLAMA_SYSTEM,
    OLLAMA_TEMPLATE,
    PROJECTOR_MEDIA_TYPES,
    WEIGHT_MEDIA_TYPES,
    Descriptor,
    Manifest,
    layer_file_name,
)
from ..models.reference import ModelRef
from .model_store import DIGEST, ModelStore

SHARD_NAME = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)
TEXT_LAYER_LIMIT = 1024 * 1024  # a template or license bigger than this is not shown


def layer_kind(layer: Descriptor) -> str:
    media = layer.media_type
    if media in WEIGHT_MEDIA_TYPES:
        return "weights"
    if media in PROJECTOR_MEDIA_TYPES:
        return "projector"
    if media in LICENSE_MEDIA_TYPES:
        return "license"
    return {
        OLLAMA_ADAPTER: "adapter",
        OLLAMA_TEMPLATE: "template",
        OLLAMA_PARAMS: "params",
        OLLAMA_SYSTEM: "system",
    }.get(media, "other")


def ordered_weights(manifest: Manifest) -> list[Descriptor]:
    """GGUF weight layers in load order: by shard number when the files are named as shards.

    Registries keep layer order, but a manifest built by another tool may list shards
    in any order; llama.cpp needs shard 1 first, so the names decide when they can.
    """
    weights = [layer for layer in manifest.layers if layer.media_type in WEIGHT_MEDIA_TYPES]
    numbers = []
    for layer in weights:
        match = SHARD_NAME.search(layer_file_name(layer) or "")
        numbers.append(int(match.group(1)) if match else None)
    if len(weights) > 1 and all(n is not None for n in numbers):
        return [
            layer for _, layer in sorted(zip(numbers, weights, strict=True), key=lambda pair: pair[0] or 0)
        ]
    return weights


def missing_blobs(store: ModelStore, manifest: Manifest) -> list[str]:
    """Digests the manifest names whose blob is not in the store, in manifest order.

    A model is left this way by a user or another tool deleting blobs, or by an Ollama
    store copied without all of them. A digest that is not sha256 hex names no blob
    of ours (a hostile manifest): it counts as missing rather than being looked up.
    """
    missing: list[str] = []
    for digest in (manifest.config.digest, *(layer.digest for layer in manifest.layers)):
        if digest not in missing and (not DIGEST.match(digest) or not store.blob_path(digest).is_file()):
            missing.append(digest)
    return missing


def describe_layers(manifest: Manifest, missing: Collection[str] = ()) -> list[LayerInfo]:
    config = LayerInfo(
        kind="config",
        media_type=manifest.config.media_type,
        digest=manifest.config.digest,
        size=manifest.config.size,
        on_disk=manifest.config.digest not in missing,
    )
    return [config] + [
        LayerInfo(
            kind=layer_kind(layer),
            media_type=layer.media_type,
            digest=layer.digest,
            size=layer.size,
            file_name=layer_file_name(layer),
            on_disk=layer.digest not in missing,
        )
        for layer in manifest.layers
    ]


def manifest_format(manifest: Manifest) -> str:
    config = manifest.config.media_type
    if config in (DOCKER_MODEL_CONFIG_V01, DOCKER_MODEL_CONFIG_V02):
        return "docker"
    if config == MODELPACK_CONFIG or any(
        layer.media_type.startswith("application/vnd.cncf.model.") for layer in manifest.layers
    ):
        return "modelpack"
    return "ollama"


def read_text_layers(store: ModelStore, manifest: Manifest) -> dict[str, Any]:
    """Template, system prompt, params (JSON) and license text, from the layers that hold them."""
    found: dict[str, Any] = {}
    for layer in manifest.layers:
        kind = layer_kind(layer)
        if kind not in ("template", "system", "params", "license") or kind in found:
            continue
        if layer.size > TEXT_LAYER_LIMIT or not DIGEST.match(layer.digest):
            continue
        try:
            text = store.blob_path(layer.digest).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if kind == "params":
            try:
                found[kind] = json.loads(text)
            except ValueError:
                continue
        else:
            found[kind] = text
    return found


def shard_links(store: ModelStore, manifest_bytes: bytes, blobs: list[Path]) -> list[Path]:
    """llama.cpp finds shards 2..n by name next to shard 1, so give it named links to the blobs."""
    folder = store.shards_dir / hashlib.sha256(manifest_bytes).hexdigest()[:32]
    folder.mkdir(parents=True, exist_ok=True)
    links = []
    for index, blob in enumerate(blobs, start=1):
        link = folder / f"model-{index:05d}-of-{len(blobs):05d}.gguf"
        if not (link.is_file() and os.path.samefile(link, blob)):
            link.unlink(missing_ok=True)
            try:
                link.symlink_to(blob.resolve())
            except OSError:  # Windows without the symlink privilege: a hard link works on one disk
                os.link(blob, link)
        links.append(link)
    return links


def model_files(store: ModelStore, ref: ModelRef) -> list[Path]:
    """The GGUF file(s) of a model in `store` to load, in shard order (a split model gets a
    folder of named links); NotFound says what is missing and what to do."""
    record = store.read_in_place(ref)
    if record is not None:
        gone = [str(f) for f in record.files if not f.is_file()]
        if gone:
            raise NotFound(
                N_(
                    "{short} was imported in place from {path}, which is no longer there; remove it "
                    "with `llamadesk rm {short}` or put the file back"
                ),
                path=gone[0],
                short=ref.short,
            )
        return list(record.files)
    try:
        manifest, data = store.read_manifest(ref)
    except NotFound:
        raise NotFound(
            N_(
                "model {short} is not in the library; pull it with `llamadesk pull {short}` or import "
                "a GGUF with `llamadesk import PATH`"
            ),
            reference=ref.full,
            short=ref.short,
        ) from None
    weights = ordered_weights(manifest)
    if not weights:
        raise NotFound(N_("{short} has no GGUF weights layer, so there is nothing to load"), short=ref.short)
    paths = [store.blob_path(layer.digest) for layer in weights]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise NotFound(
            N_("{short} is incomplete: blob {missing} is missing; pull it again"),
            short=ref.short,
            missing=missing[0],
        )
    if len(paths) == 1:
        return paths
    return shard_links(store, data, paths)
