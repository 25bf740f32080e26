"""`hf.co/user/repo[:quant-or-file]` as a model source: which files, at which commit, verified how.

The source only resolves; the library downloads with the core downloader and writes the
manifest once every blob verified. What it resolves to, like Ollama's hf.co pulls:

- manifest `hf.co/user/repo/<quant>`: one `application/vnd.ollama.image.model` layer per
  GGUF (every shard of a split model, titled by file name), a projector layer when the
  repo has an mmproj file, and a Docker image config as `ollama create` writes it;
- each blob named by the file's LFS sha256 (the downloader verifies it) and fetched from
  `/{repo}/resolve/<commit>/<file>` with the token, if any;
- the commit listed is pinned in the manifest's annotations, so the same bytes can be
  fetched again later;
- a blob the Hugging Face cache already holds is linked or copied from there.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from llamadesk.core.errors import N_, NotFound, RegistryError
from llamadesk.core.interfaces.http import HttpClient
from llamadesk.core.interfaces.model_source import ResolvedModel
from llamadesk.core.models.download import BlobRequest
from llamadesk.core.models.hub import HubFileChoice, HubFilesParams
from llamadesk.core.models.manifest import (
    DOCKER_IMAGE_CONFIG,
    DOCKER_MANIFEST,
    OLLAMA_MODEL,
    OLLAMA_PROJECTOR,
    TITLE_ANNOTATION,
    Descriptor,
    Manifest,
)
from llamadesk.core.models.reference import DEFAULT_TAG, HUGGING_FACE, ModelRef

from .cache import huggingface_cache_dir
from .choices import find_choice, group_choices, mmproj_files
from .quants import DEFAULT_QUANT, quant_label

if TYPE_CHECKING:
    from .browser import HubBrowser
    from .hub_client import RepoListing

# Where the pinned revision is kept: OCI's standard keys, so other tools read them too.
SOURCE_ANNOTATION = "org.opencontainers.image.source"
REVISION_ANNOTATION = "org.opencontainers.image.revision"
FILE_ANNOTATION = "io.llamadesk.huggingface.file"
_SHARD_SUFFIX = re.compile(r"(?i)(-\d{5}-of-\d{5})?\.gguf$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


class HuggingFaceSource:
    """Resolves hf.co references with the hub's listing (through huggingface_hub)."""

    name = "huggingface"

    def __init__(self, browser: Callable[[], HubBrowser]) -> None:
        self._browser = browser  # huggingface_hub is imported on the first pull, not before

    def handles(self, ref: ModelRef) -> bool:
        return ref.host == HUGGING_FACE

    def resolve(self, ref: ModelRef, http: HttpClient) -> ResolvedModel:
        client = self._browser().client()
        repo_id = ref.repository
        listing = client.listing(repo_id)
        choice = self._choose(ref, listing)
        tag = tag_for(choice)
        if not choice.complete:
            raise NotFound(
                N_("hf.co/{repo_id}:{tag} is split in {split_count} files but only {count} are in the repo"),
                repo_id=repo_id,
                tag=tag,
                split_count=choice.split_count,
                count=len(choice.files),
            )
        sizes = {f.path: f.size for f in listing.files}
        missing = [p for p, sha in zip(choice.files, choice.sha256, strict=True) if not sha]
        if missing:
            raise RegistryError(
                N_(
                    "the hub gave no sha256 for {missing} in hf.co/{repo_id}, so its download could not be "
                    "verified; it was not pulled"
                ),
                missing=missing[0],
                repo_id=repo_id,
            )

        access = client.access
        cache = huggingface_cache_dir() / f"models--{ref.namespace}--{ref.name}"
        layers: list[Descriptor] = []
        blobs: list[BlobRequest] = []

        def add(path: str, sha: str, media_type: str) -> None:
            digest = f"sha256:{sha}"
            notes = {FILE_ANNOTATION: path}
            if choice.split_count > 1 and media_type == OLLAMA_MODEL:
                notes[TITLE_ANNOTATION] = path.rsplit("/", 1)[-1]
            layers.append(
                Descriptor(media_type=media_type, digest=digest, size=sizes[path] or 0, annotations=notes)
            )
            if all(b.digest != digest for b in blobs):
                blobs.append(
                    BlobRequest(
                        url=client.file_url(repo_id, listing.commit, path),
                        digest=digest,
                        size=sizes[path],
                        headers=access.auth_headers(),
                        local_files=_cached_copies(cache, sha, listing.commit, path),
                    )
                )

        for path, sha in zip(choice.files, choice.sha256, strict=True):
            add(path, sha, OLLAMA_MODEL)
        projector = _projector_for(choice, mmproj_files(listing.files))
        if projector is not None:
            projector_sha = next(f.sha256 for f in listing.files if f.path == projector)
            if projector_sha:
                add(projector, projector_sha, OLLAMA_PROJECTOR)

        config = _config_bytes(choice, listing, layers)
        config_digest = "sha256:" + _sha256(config)
        manifest = Manifest(
            schema_version=2,
            media_type=DOCKER_MANIFEST,
            config=Descriptor(media_type=DOCKER_IMAGE_CONFIG, digest=config_digest, size=len(config)),
            layers=layers,
            annotations={
                SOURCE_ANNOTATION: access.repo_page(repo_id),
                REVISION_ANNOTATION: listing.commit,
            },
        )
        data = manifest.model_dump_json(by_alias=True, exclude_none=True).encode()
        return ResolvedModel(
            ref=ref.model_copy(update={"tag": tag}),
            manifest=manifest,
            manifest_bytes=data,
            blobs=blobs,
            source=self.name,
            inline_blobs={config_digest: config},
        )

    def _choose(self, ref: ModelRef, listing: RepoListing) -> HubFileChoice:
        choices = group_choices(listing.files)
        if not choices:
            raise NotFound(N_("hf.co/{repo_id} has no GGUF model files"), repo_id=listing.repo_id)
        if ref.tag != DEFAULT_TAG:
            choice = find_choice(choices, ref.tag)
            if choice is None:
                names = ", ".join(tag_for(c) for c in choices)
                raise NotFound(
                    N_("hf.co/{repo_id} has no {tag!r}; choose one of: {names}"),
                    choices=[tag_for(c) for c in choices],
                    repo_id=listing.repo_id,
                    tag=ref.tag,
                    names=names,
                )
            return choice
        # No tag: Q4_K_M like llama.cpp and Ollama (the same file on every machine), else
        # the choice recommended for this one.
        default = find_choice(choices, DEFAULT_QUANT)
        if default is not None:
            return default
        recommended = self._browser().files(HubFilesParams(repo=listing.repo_id)).recommended
        return find_choice(choices, recommended or "") or choices[0]


def tag_for(choice: HubFileChoice) -> str:
    """The manifest tag of a choice: its quant label, or its file name when that is ambiguous."""
    if choice.quant and choice.name == choice.quant:
        return choice.quant
    return _SHARD_SUFFIX.sub("", choice.files[0].rsplit("/", 1)[-1])


def _projector_for(choice: HubFileChoice, projectors: list[str]) -> str | None:
    """The mmproj to pull with a model: the one of the same quant, else F16, else the first."""
    if not projectors:
        return None
    for wanted in (choice.quant, "F16", "BF16"):
        for path in projectors:
            if wanted and quant_label(path) == wanted:
                return path
    return projectors[0]


def _cached_copies(cache: Path, sha: str, commit: str, path: str) -> tuple[Path, ...]:
    """Where the Hugging Face cache would hold this file: its blob (named by LFS sha256),
    and the snapshot's copy (on systems where the cache cannot use symlinks).

    The names come from the hub: only plain ones are used, so no answer can point us at
    a file outside the cache (a candidate is adopted only if its sha256 matches anyway).
    """
    candidates = []
    if _SHA256.match(sha):
        candidates.append(cache / "blobs" / sha)
    parts = path.split("/")
    if _COMMIT.match(commit) and all(p not in ("", ".", "..") and "\\" not in p for p in parts):
        candidates.append(cache.joinpath("snapshots", commit, *parts))
    return tuple(candidates)


def _config_bytes(choice: HubFileChoice, listing: RepoListing, layers: list[Descriptor]) -> bytes:
    architecture = (
        listing.gguf.get("architecture") if isinstance(listing.gguf.get("architecture"), str) else ""
    )
    config = {
        "model_format": "gguf",
        "model_family": architecture,
        "model_families": [architecture] if architecture else None,
        "file_type": choice.quant,
        "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]},
    }
    return json.dumps(config, separators=(",", ":")).encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
