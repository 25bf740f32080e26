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


# Config blobs: Ollama writes a Docker image config; Docker model artifacts and ModelPack their own.
DOCKER_IMAGE_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_MODEL_CONFIG_V01 = "application/vnd.docker.ai.model.config.v0.1+json"
DOCKER_MODEL_CONFIG_V02 = "application/vnd.docker.ai.model.config.v0.2+json"
MODELPACK_CONFIG = "application/vnd.cncf.model.config.v1+json"

# Ollama's layers.
OLLAMA_MODEL = "application/vnd.ollama.image.model"
OLLAMA_PROJECTOR = "application/vnd.ollama.image.projector"
OLLAMA_ADAPTER = "application/vnd.ollama.image.adapter"
OLLAMA_TEMPLATE = "application/vnd.ollama.image.template"
OLLAMA_PARAMS = "application/vnd.ollama.image.params"
OLLAMA_SYSTEM = "application/vnd.ollama.image.system"
OLLAMA_LICENSE = "application/vnd.ollama.image.license"
OLLAMA_MESSAGES = "application/vnd.ollama.image.messages"

# Docker model artifacts (`docker model push`, Docker Hub's ai/ namespace).
DOCKER_GGUF = "application/vnd.docker.ai.gguf.v3"
DOCKER_MMPROJ = "application/vnd.docker.ai.mmproj"
DOCKER_LICENSE = "application/vnd.docker.ai.license"
DOCKER_CHAT_TEMPLATE = "application/vnd.docker.ai.chat.template.jinja"

# CNCF ModelPack: weights are raw bytes of any format; a GGUF is recognised by its magic.
MODELPACK_WEIGHT_RAW = "application/vnd.cncf.model.weight.v1.raw"

# The annotation a layer's file name is kept in (Docker model artifacts, ModelPack, oras).
TITLE_ANNOTATION = "org.opencontainers.image.title"
MODELPACK_FILEPATH_ANNOTATION = "org.cncf.model.filepath"

# Layers that hold model weights we can load (ModelPack raw weights only when the bytes are a GGUF).
WEIGHT_MEDIA_TYPES = frozenset({OLLAMA_MODEL, DOCKER_GGUF, MODELPACK_WEIGHT_RAW})
PROJECTOR_MEDIA_TYPES = frozenset({OLLAMA_PROJECTOR, DOCKER_MMPROJ})
LICENSE_MEDIA_TYPES = frozenset({OLLAMA_LICENSE, DOCKER_LICENSE})
MANIFEST_MEDIA_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_MEDIA_TYPES = (OCI_INDEX, DOCKER_MANIFEST_LIST)


def layer_file_name(layer: Descriptor) -> str | None:
    """The file name a layer carries in its annotations, if any."""
    notes = layer.annotations or {}
    return notes.get(TITLE_ANNOTATION) or notes.get(MODELPACK_FILEPATH_ANNOTATION)
