"""The OCI model source: Ollama's registry, Docker Hub, and any distribution-API registry.

Resolving a reference: GET the manifest by tag, or by digest when the reference
is pinned (`name@sha256:...`; the bytes must hash to it), accepting OCI and
Docker v2 manifests and indexes; an index is narrowed to this platform's entry
(fetched by its digest, checked the same way). The
manifest must be a model (Ollama, Docker model artifact or CNCF ModelPack
layers); every distinct blob becomes a download request carrying the pull
token, refreshed if it expires mid-download.
"""

from __future__ import annotations

import json
import logging
import platform
import sys

from pydantic import ValidationError

from llamadesk.core.errors import N_, RegistryError, validation_summary
from llamadesk.core.interfaces.http import HttpClient
from llamadesk.core.interfaces.model_source import PushRequest, ResolvedModel
from llamadesk.core.models.download import BlobRequest
from llamadesk.core.models.manifest import (
    INDEX_MEDIA_TYPES,
    OCI_MANIFEST,
    WEIGHT_MEDIA_TYPES,
    Descriptor,
    Index,
    Manifest,
)
from llamadesk.core.models.reference import HUGGING_FACE, ModelRef

from .auth import TokenCache
from .registry import RegistryClient

log = logging.getLogger(__name__)

MACHINE_TO_OCI = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm"}


def this_platform() -> tuple[str, str]:
    """(os, architecture) as OCI names them: ("linux", "amd64")."""
    system = {"win32": "windows", "darwin": "darwin"}.get(sys.platform, "linux")
    machine = platform.machine().lower()
    return system, MACHINE_TO_OCI.get(machine, machine)


def pick_platform(index: Index, want: tuple[str, str] | None = None) -> Descriptor:
    """The index entry for this platform; entries without a platform suit any (model artifacts)."""
    want = want or this_platform()
    entries = [
        e
        for e in index.manifests
        if (e.annotations or {}).get("vnd.docker.reference.type") != "attestation-manifest"
    ]
    exact = [e for e in entries if e.platform and (e.platform.os, e.platform.architecture) == want]
    if exact:
        return exact[0]
    neutral = [e for e in entries if e.platform is None or e.platform.architecture in ("", "unknown")]
    if neutral:
        return neutral[0]
    offered = ", ".join(f"{e.platform.os}/{e.platform.architecture}" for e in entries if e.platform) or "none"
    raise RegistryError(
        N_("this model has no variant for {os}/{architecture} (it offers: {offered})"),
        os=want[0],
        architecture=want[1],
        offered=offered,
    )


def pull_scope(ref: ModelRef) -> str:
    return f"repository:{ref.repository}:pull"


def push_scope(ref: ModelRef) -> str:
    return f"repository:{ref.repository}:pull,push"


class OciSource:
    """Pulls from and pushes to OCI registries. Handles every host except Hugging Face's."""

    name = "oci"

    def __init__(self) -> None:
        self.tokens = TokenCache()

    def handles(self, ref: ModelRef) -> bool:
        return ref.host != HUGGING_FACE

    def client(self, ref: ModelRef, http: HttpClient) -> RegistryClient:
        return RegistryClient(ref.host, http, self.tokens)

    def resolve(self, ref: ModelRef, http: HttpClient) -> ResolvedModel:
        registry = self.client(ref, http)
        scope = pull_scope(ref)
        # By digest, the registry client checks the bytes hash to it (a pin is only worth that).
        media_type, data = registry.get_manifest(ref.repository, ref.digest or ref.tag, scope)
        if media_type in INDEX_MEDIA_TYPES or _looks_like_index(data):
            index = _parse_index(data, ref)
            entry = pick_platform(index)
            media_type, data = registry.get_manifest(ref.repository, entry.digest, scope)
        manifest = _parse_manifest(data, ref)
        if not any(layer.media_type in WEIGHT_MEDIA_TYPES for layer in manifest.layers):
            kinds = ", ".join(sorted({layer.media_type for layer in manifest.layers})) or "no layers"
            raise RegistryError(
                N_("{short} is not a model this app can run (its layers are: {kinds})"),
                short=ref.short,
                kinds=kinds,
            )

        def authorize(refresh: bool) -> dict[str, str]:
            return registry.auth_headers(scope, refresh=refresh)

        blobs: list[BlobRequest] = []
        seen: set[str] = set()
        for descriptor in (manifest.config, *manifest.layers):
            if descriptor.digest in seen:
                continue
            seen.add(descriptor.digest)
            blobs.append(
                BlobRequest(
                    url=registry.blob_url(ref.repository, descriptor.digest),
                    digest=descriptor.digest,
                    size=descriptor.size,
                    authorize=authorize,
                )
            )
        return ResolvedModel(ref=ref, manifest=manifest, manifest_bytes=data, blobs=blobs, source=self.name)

    def push(self, request: PushRequest, http: HttpClient) -> None:
        ref = request.ref
        registry = self.client(ref, http)
        scope = push_scope(ref)
        for digest, path in request.blob_paths.items():
            if request.cancelled():
                return
            if registry.has_blob(ref.repository, digest, scope):
                if request.on_bytes is not None:
                    request.on_bytes(path.stat().st_size)
                continue
            registry.upload_blob(ref.repository, digest, path, scope, request.on_bytes)
        media_type = request.manifest.media_type or _sniff_media_type(request.manifest_bytes)
        registry.put_manifest(ref.repository, ref.tag, media_type, request.manifest_bytes, scope)


def _parse_index(data: bytes, ref: ModelRef) -> Index:
    try:
        return Index.model_validate_json(data)
    except ValidationError as exc:
        raise _invalid("an index", ref, exc) from exc


def _parse_manifest(data: bytes, ref: ModelRef) -> Manifest:
    try:
        return Manifest.model_validate_json(data)
    except ValidationError as exc:
        raise _invalid("a manifest", ref, exc) from exc


def _invalid(what: str, ref: ModelRef, exc: ValidationError) -> RegistryError:
    """One line naming the field and the problem; the whole pydantic report goes to the log (-v)."""
    log.info("the %s of %s does not validate:\n%s", what.split()[-1], ref.short, exc)
    return RegistryError(
        N_("the registry sent {what} for {short} that does not parse: {problem}"),
        errors=exc.errors(include_url=False, include_context=False, include_input=False),
        what=what,
        short=ref.short,
        problem=validation_summary(exc),
    )


def _looks_like_index(data: bytes) -> bool:
    try:
        return "manifests" in json.loads(data)
    except ValueError:
        return False


def _sniff_media_type(data: bytes) -> str:
    try:
        return str(json.loads(data).get("mediaType") or OCI_MANIFEST)
    except ValueError:
        return OCI_MANIFEST
