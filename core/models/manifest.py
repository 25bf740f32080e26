"""OCI descriptors, manifests and indexes, as stored under `manifests/` in the model store.

Field names follow the OCI image spec (camelCase on the wire, via aliases), so a
manifest written by Ollama or a registry round-trips unchanged.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


class _Wire(BaseModel):
    # Registries add fields we do not know; keep them so a manifest is never rewritten lossily.
    model_config = ConfigDict(populate_by_name=True, extra="allow", frozen=True)


class Platform(_Wire):
    architecture: str = ""
    os: str = ""
    variant: str | None = None


class Descriptor(_Wire):
    """Points at one blob by digest."""

    media_type: str = Field(alias="mediaType")
    digest: str = Field(description="sha256:<hex> of the blob's bytes.")
    size: int = Field(ge=0)
    annotations: dict[str, str] | None = None
    urls: list[str] | None = None
    platform: Platform | None = None


class Manifest(_Wire):
    """An image manifest: a config blob plus the layers that make a model."""

    schema_version: int = Field(2, alias="schemaVersion")
    media_type: str | None = Field(OCI_MANIFEST, alias="mediaType")
    config: Descriptor
    layers: list[Descriptor] = Field(default_factory=list)
    annotations: dict[str, str] | None = None


class Index(_Wire):
    """A list of manifests, one per platform."""

    schema_version: int = Field(2, alias="schemaVersion")
    media_type: str | None = Field(OCI_INDEX, alias="mediaType")
    manifests: list[Descriptor] = Field(default_factory=list)
