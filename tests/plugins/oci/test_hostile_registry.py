"""A registry that sends hostile manifests cannot make the library write outside its store."""

from __future__ import annotations

import json

import pytest

from llamadesk.core.errors import RegistryError
from llamadesk.plugins.oci.registry import base_url
from tests.http_servers import FileServer


@pytest.mark.parametrize(
    "digest",
    ["sha256:../../../../tmp/owned", "sha256:" + "a" * 63 + "/", "md5:" + "0" * 32, "sha256:" + "A" * 64],
)
def test_hostile_blob_digests_are_refused_before_anything_is_written(app, tmp_path, digest) -> None:
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.docker.ai.model.config.v0.1+json",
            "digest": digest,
            "size": 2,
        },
        "layers": [{"mediaType": "application/vnd.docker.ai.gguf.v3", "digest": digest, "size": 4}],
    }
    with FileServer() as server:
        server.files["/v2/evil/model/manifests/latest"] = json.dumps(manifest).encode()
        server.files[f"/v2/evil/model/blobs/{digest}"] = b"GGUF"
        with pytest.raises(RegistryError, match="refusing blob digest"):
            app.library.pull(f"127.0.0.1:{server.port}/evil/model")
        assert not any("/blobs/" in str(r["path"]) for r in server.requests)
    assert not app.models_dir.exists() or not any(p.is_file() for p in app.models_dir.rglob("*"))
    assert not (tmp_path / "owned").exists()


def test_a_manifest_that_is_not_json_is_a_clear_error(app) -> None:
    with FileServer() as server:
        server.files["/v2/evil/model/manifests/latest"] = b"<html>not a manifest</html>"
        with pytest.raises(RegistryError, match="does not parse"):
            app.library.pull(f"127.0.0.1:{server.port}/evil/model")


def test_registry_base_urls(monkeypatch) -> None:
    assert base_url("docker.io") == "https://registry-1.docker.io"
    assert base_url("registry.ollama.ai") == "https://registry.ollama.ai"
    assert base_url("localhost:5000") == "http://localhost:5000"
    assert base_url("127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert base_url("registry.lan:5000") == "https://registry.lan:5000"
    monkeypatch.setenv("LLAMADESK_INSECURE_REGISTRIES", "registry.lan:5000, other")
    assert base_url("registry.lan:5000") == "http://registry.lan:5000"
