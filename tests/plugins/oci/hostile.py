"""A registry that misbehaves on purpose, one repository per way (served by tests.http_servers)."""

from __future__ import annotations

import hashlib
import json

from tests.http_servers import FileServer

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
GGUF_LAYER = "application/vnd.docker.ai.gguf.v3"
CONFIG = "application/vnd.docker.ai.model.config.v0.1+json"
PiB = 1 << 50

# repository -> the words the one-line refusal must contain
CASES: dict[str, str] = {
    "petabyte": "which no model file is",
    "negative": "layers.0.size: must be greater than or equal to 0 (got -1)",
    "not-json": "does not parse: not JSON",
    "html": "answered with a web page",
    "huge-manifest": "too large to be a model manifest",
    "bad-digest": "refusing blob digest",
    "wrong-bytes": "do not match their digest",
    "stalled": "the server sent nothing for 1 s",
}


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _manifest(config: bytes, layer_digest: str, layer_size: int) -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": CONFIG, "digest": _digest(config), "size": len(config)},
            "layers": [{"mediaType": GGUF_LAYER, "digest": layer_digest, "size": layer_size}],
        }
    ).encode()


def serve_hostile_cases(server: FileServer) -> None:
    """Put every case of CASES on `server` under /v2/evil/<case>/."""
    config = b'{"config": {"format": "gguf"}}'
    weights = b"GGUF" + bytes(4096)

    def add(case: str, manifest: bytes, blobs: dict[str, bytes] | None = None) -> None:
        server.files[f"/v2/evil/{case}/manifests/latest"] = manifest
        for digest, data in {_digest(config): config, **(blobs or {})}.items():
            server.files[f"/v2/evil/{case}/blobs/{digest}"] = data

    add("petabyte", _manifest(config, _digest(weights), PiB), {_digest(weights): weights})
    add("negative", _manifest(config, _digest(weights), -1))
    add("not-json", b"this is not { json")
    add("html", b"<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>")
    server.content_types["/v2/evil/html/manifests/latest"] = "text/html; charset=utf-8"
    add("huge-manifest", b'{"schemaVersion": 2, "layers": [' + b" " * (50 * 1024 * 1024) + b"]}")
    add("bad-digest", _manifest(config, "sha256:../../../../tmp/owned", 4))
    add(
        "wrong-bytes",
        _manifest(config, _digest(weights), len(weights)),
        {_digest(weights): b"X" * len(weights)},
    )
    add("stalled", _manifest(config, _digest(weights), len(weights)), {_digest(weights): weights})
    server.stall_paths.add(f"/v2/evil/stalled/blobs/{_digest(weights)}")
