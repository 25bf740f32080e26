"""A registry that sends hostile manifests cannot make the library write outside its store."""

from __future__ import annotations

import json
import time

import pytest

from llamadesk.core.commands import CommandError
from llamadesk.core.errors import RegistryError
from llamadesk.plugins.oci.registry import base_url
from tests.http_servers import FileServer

from .hostile import CASES, serve_hostile_cases


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


def test_a_web_page_instead_of_a_manifest_is_a_clear_error(app) -> None:
    with FileServer() as server:
        server.files["/v2/evil/model/manifests/latest"] = b"<html>not a manifest</html>"
        with pytest.raises(RegistryError, match="answered with a web page"):
            app.library.pull(f"127.0.0.1:{server.port}/evil/model")


@pytest.fixture
def hostile():
    with FileServer() as server:
        serve_hostile_cases(server)
        yield server


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_hostile_answer_is_refused_in_one_line(app, hostile, case) -> None:
    """Through the command table, as the UI and the API see it: a code that is not `internal`,
    and a message of one line naming the problem."""
    app.config.update({"downloads.timeout_s": 1})
    started = time.monotonic()
    with pytest.raises(CommandError) as refused:
        app.commands.invoke("models.pull", {"reference": f"127.0.0.1:{hostile.port}/evil/{case}"})
    assert time.monotonic() - started < 15
    error = refused.value
    assert error.code != "internal", error.message
    assert "\n" not in error.message and "pydantic" not in error.message
    assert CASES[case] in error.message, error.message
    assert not (app.models_dir / "manifests").exists()  # nothing is listed


def test_a_petabyte_layer_is_refused_before_any_file_or_request(app, hostile) -> None:
    started = time.monotonic()
    with pytest.raises(RegistryError, match=r"is 1\.1 PB, which no model file is"):
        app.library.pull(f"127.0.0.1:{hostile.port}/evil/petabyte")
    assert time.monotonic() - started < 2
    assert not any("/blobs/" in str(r["path"]) for r in hostile.requests)
    assert not app.models_dir.exists()


def test_a_stalled_blob_can_be_cancelled_at_any_moment(app, hostile) -> None:
    app.config.update({"downloads.timeout_s": 120})
    ref = f"127.0.0.1:{hostile.port}/evil/stalled"
    running = app.commands.start("models.pull", {"reference": ref})
    time.sleep(0.5)
    assert app.commands.invoke("models.cancel", {"reference": ref}).cancelled  # type: ignore[attr-defined]
    started = time.monotonic()
    with pytest.raises(CommandError) as stopped:
        running.result(timeout=10)
    assert stopped.value.code == "cancelled" and time.monotonic() - started < 3


def test_a_stalled_manifest_can_be_cancelled_too(app, hostile) -> None:
    hostile.stall_paths.add("/v2/evil/negative/manifests/latest")
    app.config.update({"downloads.timeout_s": 120})
    running = app.commands.start("models.pull", {"reference": f"127.0.0.1:{hostile.port}/evil/negative"})
    time.sleep(0.5)
    running.cancel()
    started = time.monotonic()
    with pytest.raises(CommandError) as stopped:
        running.result(timeout=10)
    assert stopped.value.code == "cancelled" and time.monotonic() - started < 3


def test_registry_base_urls(monkeypatch) -> None:
    assert base_url("docker.io") == "https://registry-1.docker.io"
    assert base_url("registry.ollama.ai") == "https://registry.ollama.ai"
    assert base_url("localhost:5000") == "http://localhost:5000"
    assert base_url("127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert base_url("registry.lan:5000") == "https://registry.lan:5000"
    monkeypatch.setenv("LLAMADESK_INSECURE_REGISTRIES", "registry.lan:5000, other")
    assert base_url("registry.lan:5000") == "http://registry.lan:5000"
