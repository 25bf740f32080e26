"""References pinned by digest (`name@sha256:...`, `name:tag@sha256:...`) against the real registry."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from llamadesk.core.errors import DigestMismatch, InvalidParams, NotFound
from llamadesk.plugins.oci.source import this_platform

from .registry_server import DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, Blob, docker_model


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def manifest_of(registry, repository: str, tag: str) -> bytes:
    status, _, data = registry.server.request(
        "GET", f"/v2/{repository}/manifests/{tag}", None, {"Accept": DOCKER_MANIFEST}
    )
    assert status == 200
    return data


def test_a_pin_without_a_tag_is_stored_under_its_digest(app, registry) -> None:
    data = manifest_of(registry, "library/smollm2", "latest")
    digest = sha(data)
    result = app.library.pull(f"{registry.host}/library/smollm2@{digest}")
    tag = digest.replace(":", "-")
    assert result.reference == f"{registry.host}/library/smollm2:{tag}"
    assert result.digest == digest and result.downloaded == result.size
    stored = app.models_dir / "manifests" / registry.host / "library" / "smollm2" / tag
    assert stored.read_bytes() == data
    # The stored model answers to the pinned reference and to its tag alike.
    assert app.library.show(f"{registry.host}/library/smollm2@{digest}").summary.digest == digest
    assert app.library.resolve_model_path(result.reference).read_bytes()[:4] == b"GGUF"


def test_a_pin_with_a_tag_is_stored_under_the_tag(app, registry) -> None:
    data = manifest_of(registry, "library/smollm2", "second")
    digest = sha(data)
    result = app.library.pull(f"{registry.host}/library/smollm2:mine@{digest}")
    assert result.reference == f"{registry.host}/library/smollm2:mine" and result.digest == digest
    listed = [m.reference for m in app.library.list_models(discover=False).models]
    assert listed == [f"{registry.host}/library/smollm2:mine"]
    again = app.library.pull(f"{registry.host}/library/smollm2:mine@{digest}")
    assert again.downloaded == 0  # every blob is already there


def test_a_pinned_index_is_narrowed_to_this_platform(app, registry) -> None:
    config, layers = docker_model(registry.gguf)
    model = registry.server.push_model("team/pinned-multi", "model-only", config, layers, OCI_MANIFEST)
    os_name, arch = this_platform()
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": sha(model),
                    "size": len(model),
                    "platform": {"os": os_name, "architecture": arch},
                }
            ],
        }
    ).encode()
    index_digest = registry.server.push_manifest("team/pinned-multi", "latest", OCI_INDEX, index)
    result = app.library.pull(f"{registry.host}/team/pinned-multi@{index_digest}")
    stored = (
        app.models_dir
        / "manifests"
        / registry.host
        / "team"
        / "pinned-multi"
        / index_digest.replace(":", "-")
    )
    assert stored.read_bytes() == model  # the platform's manifest, checked against the index's digest
    assert result.digest == sha(model)


def test_a_manifest_that_does_not_hash_to_its_pin_is_refused(app, registry) -> None:
    weights = Blob("application/vnd.ollama.image.model", data=b"GGUF" + os.urandom(64 * 1024))
    config = Blob("application/vnd.docker.container.image.v1+json", data=b'{"model_format":"gguf","pin":1}')
    data = registry.server.push_model("library/pin-tampered", "latest", config, [weights])
    digest = sha(data)
    stored = registry.server.blob_data_path(digest)  # the registry keeps a manifest as a blob too
    stored.write_bytes(data.replace(b'"schemaVersion": 2', b'"schemaVersion":  2'))

    with pytest.raises(DigestMismatch, match="not used"):
        app.library.pull(f"{registry.host}/library/pin-tampered@{digest}")
    assert not (app.models_dir / "manifests").exists()
    assert not (app.models_dir / "blobs").exists() or not any((app.models_dir / "blobs").iterdir())


def test_a_digest_the_registry_does_not_have_is_not_found(app, registry) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        app.library.pull(f"{registry.host}/library/smollm2@sha256:{'0' * 64}")


def test_a_pin_names_what_to_fetch_not_where_to_write(app, registry) -> None:
    digest = sha(manifest_of(registry, "library/smollm2", "latest"))
    app.library.pull(f"{registry.host}/library/smollm2:latest@{digest}")
    with pytest.raises(InvalidParams, match="tag, not a digest"):
        app.library.push(f"{registry.host}/library/smollm2@{digest}")
    with pytest.raises(InvalidParams, match="tag, not a digest"):
        app.library.copy(f"{registry.host}/library/smollm2", f"other@{digest}")
