"""A model source from a plugin (as the Hugging Face source will be): resolve only, the library fetches."""

from __future__ import annotations

import hashlib
import json

import pytest

from llamadesk.core.errors import DigestMismatch, InvalidParams, RegistryError, Unavailable
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.interfaces.model_source import ModelSource, ResolvedModel
from llamadesk.core.models.download import BlobRequest
from llamadesk.core.models.manifest import Manifest
from tests.http_servers import FileServer


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class StaticFileSource:
    """Serves `<host>/static/<name>:<tag>` from a plain web server, making up the manifest and config."""

    name = "static"

    def __init__(self, server: FileServer, gguf: bytes) -> None:
        self.server, self.gguf = server, gguf
        self.config = json.dumps({"model_format": "gguf"}).encode()
        self.break_config = False

    def handles(self, ref) -> bool:
        return ref.namespace == "static"

    def resolve(self, ref, http) -> ResolvedModel:
        config_digest = sha(self.config)
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": config_digest, "size": len(self.config)},
            "layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": sha(self.gguf), "size": len(self.gguf)}],
        }  # fmt: skip
        data = json.dumps(manifest).encode()
        blob = BlobRequest(
            url=f"{self.server.url}/files/{ref.name}.gguf",
            digest=sha(self.gguf),
            size=len(self.gguf),
            headers={"X-Token": "t"},
        )
        inline = {config_digest: b"tampered" if self.break_config else self.config}
        return ResolvedModel(ref, Manifest.model_validate_json(data), data, [blob], self.name, inline)


@pytest.fixture
def static_source(app, starter_model):
    with FileServer() as server:
        gguf = starter_model.read_bytes()
        server.files["/files/tiny.gguf"] = gguf
        source = StaticFileSource(server, gguf)

        class Plugin:
            @hookimpl
            def register_model_sources(self, context):
                return [source]

        assert app.pm.register_isolated(Plugin(), "static", origin="test")
        yield source


def test_a_plugin_source_is_asked_first_and_the_library_does_the_fetching(app, static_source) -> None:
    assert isinstance(static_source, ModelSource)
    ref = f"127.0.0.1:{static_source.server.port}/static/tiny:q4"
    result = app.library.pull(ref)
    assert result.downloaded == len(static_source.gguf)
    assert all(r["headers"].get("X-Token") == "t" for r in static_source.server.requests)
    assert app.library.resolve_model_path(ref).read_bytes() == static_source.gguf
    details = app.library.show(ref)
    assert details.gguf.architecture == "llama" and details.summary.format == "ollama"


def test_inline_blobs_are_verified_too(app, static_source) -> None:
    static_source.break_config = True
    with pytest.raises(DigestMismatch, match="static source"):
        app.library.pull(f"127.0.0.1:{static_source.server.port}/static/tiny")
    assert app.library.list_models(discover=False).models == []


def test_a_manifest_naming_a_blob_nobody_provides_is_refused(app, static_source) -> None:
    original = static_source.resolve

    def without_inline(ref, http):
        resolved = original(ref, http)
        return ResolvedModel(
            resolved.ref, resolved.manifest, resolved.manifest_bytes, resolved.blobs, "static"
        )

    static_source.resolve = without_inline
    with pytest.raises(InvalidParams, match="no way to fetch blob"):
        app.library.pull(f"127.0.0.1:{static_source.server.port}/static/tiny")


def test_a_host_no_source_handles_is_a_clear_error(paths) -> None:
    from llamadesk.core.app import App

    # Only the OCI source loaded: it leaves hf.co to the Hugging Face plugin.
    only_oci = App(paths, load_entrypoints=False, default_plugins=("llamadesk.plugins.oci",)).start()
    try:
        with pytest.raises(Unavailable, match=r"no model source can fetch hf\.co/user/repo:Q4_K_M"):
            only_oci.library.pull("hf.co/user/repo:Q4_K_M")
    finally:
        only_oci.close()


def test_an_unreachable_registry_is_a_clear_error(app) -> None:
    from tests.plugins.oci.registry_server import free_port

    with pytest.raises(RegistryError, match="cannot reach the registry"):
        app.library.pull(f"127.0.0.1:{free_port()}/library/model")
