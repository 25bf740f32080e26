"""Model references (`smollm2`, `ai/smollm2`, `localhost:5000/team/model:q4`, `hf.co/user/repo:Q4_K_M`).

A reference names one manifest in the store: `manifests/<host>/<namespace>/<name>/<tag>`.
Parsing is strict because every part becomes a path component: anything that
could climb out of the store (`..`, a slash, a drive letter, odd characters) is
refused here, before any file is touched.

A reference may be pinned to a manifest digest, as Docker and Ollama take it:
`name@sha256:<hex>` or `name:tag@sha256:<hex>`. A pull then fetches that exact
manifest (its bytes checked against the digest) and stores it under the tag, or
under the tag `sha256-<hex>` when none is written. The digest says what to
fetch, not where it lives: `full`/`short` name the stored manifest without it.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from pydantic import Field

from ..errors import N_, InvalidReference
from .base import Record

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"
DOCKER_HUB = "docker.io"
HUGGING_FACE = "hf.co"

# Namespaces that mean Docker Hub when no host is written (`ai/smollm2`, as `docker model pull` takes it).
DOCKER_HUB_NAMESPACES = frozenset({"ai"})
# Hosts written differently for the same registry or hub.
HOST_ALIASES = {
    "huggingface.co": HUGGING_FACE,
    "index.docker.io": DOCKER_HUB,
    "registry-1.docker.io": DOCKER_HUB,
}

DIGEST_PIN = re.compile(r"^sha256:[0-9a-f]{64}$")  # lowercase only: the digest is compared as text
# Starts with a letter or digit, so `.`/`..` and hidden names are impossible; no slash or backslash.
_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_HOST = re.compile(
    r"^(?:localhost|[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)+)"
    r"(?::[0-9]{1,5})?$"
)
# A first component is a host when it has a dot or a port, or is localhost (Docker's rule).
_LOOKS_LIKE_HOST = re.compile(r"[.:]|^localhost$")
# Windows device names are not files there; refuse them everywhere so a store copies between systems.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)


class ModelRef(Record):
    """A parsed model reference; every part is safe to use as a path component."""

    host: str = Field(description="Registry or hub host, with its port: registry.ollama.ai, localhost:5000.")
    namespace: str = Field(description="User or organisation: library, ai, bartowski.")
    name: str = Field(description="Model name: smollm2.")
    tag: str = Field(description="Tag or quantization: latest, 135m, Q4_K_M.")
    digest: str | None = Field(
        None, description="The manifest digest it is pinned to (name@sha256:<hex>), or None."
    )

    @property
    def repository(self) -> str:
        """`namespace/name`, as a registry names it in `/v2/<repository>/...`."""
        return f"{self.namespace}/{self.name}"

    @property
    def full(self) -> str:
        return f"{self.host}/{self.namespace}/{self.name}:{self.tag}"

    @property
    def short(self) -> str:
        """The shortest form that parses back to this reference (as `ollama list` shows it)."""
        if self.host == DEFAULT_HOST and self.namespace == DEFAULT_NAMESPACE:
            return f"{self.name}:{self.tag}"
        if self.host == DEFAULT_HOST and self.namespace not in DOCKER_HUB_NAMESPACES:
            return f"{self.namespace}/{self.name}:{self.tag}"
        if self.host == DOCKER_HUB and self.namespace in DOCKER_HUB_NAMESPACES:
            return f"{self.namespace}/{self.name}:{self.tag}"
        return self.full

    @property
    def pinned(self) -> str:
        """`short`, with `@sha256:...` when pinned: what to show for a pull."""
        return f"{self.short}@{self.digest}" if self.digest else self.short

    @property
    def manifest_path(self) -> PurePosixPath:
        """Where its manifest lives, relative to `<models_dir>/manifests`."""
        return PurePosixPath(self.host, self.namespace, self.name, self.tag)

    def __str__(self) -> str:
        return self.short


def parse_reference(text: str) -> ModelRef:
    """Parse a reference the way Ollama does, with Docker Hub's `ai/` and Hugging Face's `hf.co/`.

    `name[:tag]` -> registry.ollama.ai/library/name:latest; `ns/name` -> registry.ollama.ai/ns/name
    (or docker.io for the `ai` namespace); `host/name`, `host/ns/name`; any of them with
    `@sha256:<64 lowercase hex>`. Raises InvalidReference.
    """
    raw = text.strip()
    if not raw or len(raw) > 512:
        raise InvalidReference(
            N_("{text!r} is not a model reference (expected name[:tag] or host/namespace/name:tag)"),
            text=text,
        )
    if raw.startswith(("/", "\\", "~")) or "\\" in raw or "//" in raw or raw.endswith("/"):
        raise InvalidReference(
            N_("{reference!r} is not a model reference; to use a file, import it"), reference=text
        )
    raw, digest = _split_digest(text, raw)
    parts = raw.split("/")
    host = ""
    if len(parts) > 1 and _LOOKS_LIKE_HOST.search(parts[0]):
        host = HOST_ALIASES.get(parts[0].lower(), parts[0].lower())
        parts = parts[1:]
    if len(parts) > 2:
        raise InvalidReference(N_("{text!r} has too many parts: use host/namespace/name:tag"), text=text)
    last = parts[-1]
    name, sep, tag = last.partition(":")
    if sep and not tag:
        raise InvalidReference(N_("{text!r} has an empty tag after ':'"), text=text)
    namespace = parts[0] if len(parts) == 2 else ""
    if not host:
        host = DOCKER_HUB if namespace in DOCKER_HUB_NAMESPACES else DEFAULT_HOST
    if digest and host == HUGGING_FACE:
        raise InvalidReference(
            N_("{reference!r}: Hugging Face models cannot be pinned by @sha256; pick the file with its tag"),
            reference=text,
        )
    if not tag and digest:
        tag = digest.replace(":", "-")  # a valid tag and file name, as Ollama names blobs
    ref_parts = {
        "host": host,
        "namespace": namespace or DEFAULT_NAMESPACE,
        "name": name,
        "tag": tag or DEFAULT_TAG,
    }
    _check(text, ref_parts)
    return ModelRef(**ref_parts, digest=digest)


def _split_digest(text: str, raw: str) -> tuple[str, str | None]:
    """`name[:tag]@sha256:<hex>` -> (`name[:tag]`, `sha256:<hex>`); no `@` -> (raw, None)."""
    if "@" not in raw:
        return raw, None
    base, _, digest = raw.rpartition("@")
    if not DIGEST_PIN.match(digest) or "@" in base or not base:
        raise InvalidReference(
            N_("{reference!r}: a digest pin is written name[:tag]@sha256:<64 lowercase hex digits>"),
            reference=text,
        )
    return base, digest


def _check(text: str, parts: dict[str, str]) -> None:
    if not _HOST.match(parts["host"]) or _port_out_of_range(parts["host"]):
        raise InvalidReference(
            N_("{reference!r}: {host!r} is not a valid registry host"), reference=text, host=parts["host"]
        )
    for key in ("namespace", "name"):
        value = parts[key]
        if not _PART.match(value) or value.lower() in _RESERVED or value.endswith("."):
            raise InvalidReference(
                N_(
                    "{reference!r}: the {key} {value!r} may only use letters, digits, '.', '_' and '-', "
                    "and must start with a letter or digit"
                ),
                reference=text,
                key=key,
                value=value,
            )
    tag = parts["tag"]
    if not _TAG.match(tag) or tag.lower() in _RESERVED or tag.endswith("."):
        raise InvalidReference(
            N_("{reference!r}: the tag {tag!r} may only use letters, digits, '.', '_' and '-'"),
            reference=text,
            tag=tag,
        )


def _port_out_of_range(host: str) -> bool:
    _, sep, port = host.rpartition(":")
    return bool(sep) and not 0 < int(port) < 65536
