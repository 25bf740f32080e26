"""Pulling from a real docker-registry: Ollama, Docker model and ModelPack artifacts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from llamadesk.core.errors import DigestMismatch, InvalidParams, NotFound, RegistryError
from llamadesk.core.gguf import read_gguf
from llamadesk.core.models.manifest import Descriptor, Index, Platform
from llamadesk.plugins.oci.source import pick_platform, this_platform
from tests.gguf_writer import write_split
from tests.http_servers import ForwardProxy

from .registry_server import OCI_INDEX, OCI_MANIFEST, Blob, docker_model


def store_files(app) -> set[str]:
    root = app.models_dir
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_pull_ollama_model_then_pull_again_downloads_nothing(app, registry) -> None:
    ref = registry.ref("library/smollm2")
    with ForwardProxy() as proxy:
        app.config.update({"http_proxy": proxy.url})  # the proxy counts every body byte
        events = []
        first = app.library.pull(ref, on_progress=events.append)
        assert first.downloaded == first.size > 98_000_000
        assert proxy.body_bytes >= first.size
        before = proxy.body_bytes
        again = app.library.pull(ref)
        assert again.downloaded == 0 and again.reused == first.size
        manifest_bytes = proxy.body_bytes - before
        assert manifest_bytes < 10_000  # only the manifest came over the wire
    phases = [e.phase for e in events]
    assert phases[0] == "resolving" and phases[-1] == "done" and "downloading" in phases
    assert events[-1].done == events[-1].total == first.size

    details = app.library.show(ref)
    assert details.summary.format == "ollama"
    assert details.gguf is not None and details.gguf.architecture == "llama"
    assert details.gguf.quantization == "Q4_1" and details.gguf.context_length == 8192
    assert details.template.startswith("{{ if .System }}")
    assert details.params == {"stop": ["<|im_end|>"], "temperature": 0.2}
    assert details.license == "Apache License 2.0"
    # The runtime's estimate at the default context size, the same through models.show.
    estimate = details.memory_estimate
    assert estimate is not None and estimate.fits
    assert estimate.weights_bytes == details.gguf.file_size and estimate.kv_cache_bytes > 0
    assert estimate.context_size == app.config.config.load.context_size
    shown = app.commands.invoke("models.show", {"reference": ref}).model_dump()
    assert shown["memory_estimate"]["total_bytes"] == estimate.total_bytes
    path = app.library.resolve_model_path(ref)
    assert path.read_bytes()[:4] == b"GGUF" and path.stat().st_size == registry.gguf.stat().st_size
    # Ollama's layout exactly: manifests/<host>/<ns>/<name>/<tag> and blobs/sha256-<hex>.
    manifest_file = app.models_dir / "manifests" / registry.host / "library" / "smollm2" / "latest"
    assert (
        json.loads(manifest_file.read_bytes())["layers"][0]["mediaType"]
        == "application/vnd.ollama.image.model"
    )
    assert path.parent == app.models_dir / "blobs" and path.name.startswith("sha256-")
    assert not list((app.models_dir / ".llamadesk" / "partial").iterdir())


def test_pull_docker_model_artifact(app, registry) -> None:
    ref = registry.ref("ai/smollm2")
    result = app.library.pull(ref)
    details = app.library.show(ref)
    assert details.summary.format == "docker"
    assert details.license == "Apache License 2.0"
    assert [layer.kind for layer in details.layers] == ["config", "weights", "license"]
    assert details.layers[1].file_name == registry.gguf.name
    assert read_gguf(app.library.resolve_model_path(ref)).architecture == "llama"
    assert result.size == details.summary.size


def test_two_tags_share_blobs_and_rm_keeps_what_the_other_needs(app, registry) -> None:
    latest, second = registry.ref("library/smollm2", "latest"), registry.ref("library/smollm2", "second")
    app.library.pull(latest)
    assert app.library.pull(second).downloaded == 0
    blobs = sorted((app.models_dir / "blobs").iterdir())
    assert len(blobs) == 5
    removed = app.library.remove(second)
    assert removed.removed_blobs == [] and removed.freed == 0
    assert sorted((app.models_dir / "blobs").iterdir()) == blobs
    assert app.library.resolve_model_path(latest).is_file()
    assert [m.full_reference for m in app.library.list_models().models] == [
        f"{registry.host}/library/smollm2:latest"
    ]
    removed = app.library.remove(latest)
    assert len(removed.removed_blobs) == 5 and removed.freed > 98_000_000
    assert not list((app.models_dir / "blobs").iterdir())
    assert not (app.models_dir / "manifests" / registry.host).exists()  # empty folders pruned
    with pytest.raises(NotFound, match="pull it with"):
        app.library.resolve_model_path(latest)


def test_a_blob_whose_bytes_do_not_match_its_digest_is_rejected(app, registry) -> None:
    weights = Blob("application/vnd.ollama.image.model", data=b"GGUF" + os.urandom(3 * 1024 * 1024))
    config = Blob("application/vnd.docker.container.image.v1+json", data=b'{"model_format":"gguf","x":1}')
    registry.server.push_model("library/tampered", "latest", config, [weights])
    stored = registry.server.blob_data_path(weights.digest)
    stored.write_bytes(b"GGUF" + os.urandom(len(weights.data) - 4))  # same size, other bytes

    with pytest.raises(DigestMismatch, match="discarded"):
        app.library.pull(registry.ref("library/tampered"))
    assert app.library.list_models(discover=False).models == []
    assert not (app.models_dir / "manifests").exists()
    assert not any(weights.digest.split(":")[1] in f for f in store_files(app))
    assert not (app.models_dir / "blobs" / config.digest.replace(":", "-")).exists()


def test_an_index_is_narrowed_to_this_platform(app, registry) -> None:
    config, layers = docker_model(registry.gguf)
    model = registry.server.push_model("team/multi", "model-only", config, layers, OCI_MANIFEST)
    other = Blob("application/vnd.oci.image.config.v1+json", data=b'{"architecture":"mips","os":"plan9"}')
    tar = Blob("application/vnd.oci.image.layer.v1.tar+gzip", data=b"not a model")
    other_manifest = registry.server.push_model("team/multi", "other", other, [tar], OCI_MANIFEST)
    os_name, arch = this_platform()
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": _sha(other_manifest), "size": len(other_manifest),
             "platform": {"os": "plan9", "architecture": "mips"}},
            {"mediaType": OCI_MANIFEST, "digest": _sha(model), "size": len(model),
             "platform": {"os": os_name, "architecture": arch}},
        ],
    }  # fmt: skip
    registry.server.push_manifest("team/multi", "latest", OCI_INDEX, json.dumps(index).encode())
    app.library.pull(registry.ref("team/multi"))
    stored = (app.models_dir / "manifests" / registry.host / "team" / "multi" / "latest").read_bytes()
    assert stored == model  # the platform's manifest, byte for byte


def test_pick_platform_rules() -> None:
    def entry(os_: str | None, arch: str | None, digest: str) -> Descriptor:
        platform = Platform(os=os_, architecture=arch) if os_ else None
        return Descriptor(media_type=OCI_MANIFEST, digest=digest, size=1, platform=platform)

    index = Index(manifests=[entry("linux", "arm64", "a"), entry("linux", "amd64", "b")])
    assert pick_platform(index, ("linux", "amd64")).digest == "b"
    assert pick_platform(Index(manifests=[entry(None, None, "n")]), ("darwin", "arm64")).digest == "n"
    with pytest.raises(RegistryError, match="no variant for windows/amd64"):
        pick_platform(index, ("windows", "amd64"))


def test_modelpack_raw_weights_must_be_a_gguf(app, registry) -> None:
    config = Blob("application/vnd.cncf.model.config.v1+json", data=b'{"descriptor":{"name":"smollm2"}}')
    weights = Blob("application/vnd.cncf.model.weight.v1.raw", path=registry.gguf)
    registry.server.push_model("pack/smollm2", "latest", config, [weights], OCI_MANIFEST)
    app.library.pull(registry.ref("pack/smollm2"))
    assert app.library.show(registry.ref("pack/smollm2")).summary.format == "modelpack"

    not_gguf = Blob("application/vnd.cncf.model.weight.v1.raw", data=b"PK\x03\x04 a safetensors zip")
    registry.server.push_model("pack/notgguf", "latest", config, [not_gguf], OCI_MANIFEST)
    with pytest.raises(InvalidParams, match="not a GGUF"):
        app.library.pull(registry.ref("pack/notgguf"))
    assert not (app.models_dir / "blobs" / not_gguf.digest.replace(":", "-")).exists()
    assert [m.reference for m in app.library.list_models().models] == [registry.ref("pack/smollm2")]


def test_sharded_gguf_layers_are_loaded_in_shard_order(app, registry, tmp_path: Path) -> None:
    shards = write_split(tmp_path / "split", "big", 3)
    config = Blob("application/vnd.docker.ai.model.config.v0.2+json", data=b'{"config":{"format":"gguf"}}')
    layers = [
        Blob(
            "application/vnd.docker.ai.gguf.v3",
            path=p,
            annotations={"org.opencontainers.image.title": p.name},
        )
        for p in shards
    ]
    shuffled = [layers[2], layers[0], layers[1]]  # a registry keeps whatever order it was given
    registry.server.push_model("team/big", "latest", config, shuffled, OCI_MANIFEST)
    app.library.pull(registry.ref("team/big"))
    files = app.library.model_files(registry.ref("team/big"))
    assert [f.name for f in files] == [f"model-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    assert [read_gguf(f).split_index for f in files] == [0, 1, 2]
    assert len({f.parent for f in files}) == 1  # side by side, as llama.cpp looks for them
    assert app.library.resolve_model_path(registry.ref("team/big")) == files[0]


def test_unknown_tag_and_non_models_are_clear_errors(app, registry) -> None:
    with pytest.raises(NotFound, match="does not exist on the registry"):
        app.library.pull(registry.ref("library/smollm2", "nope"))
    image = Blob("application/vnd.oci.image.config.v1+json", data=b'{"os":"linux"}')
    tar = Blob("application/vnd.oci.image.layer.v1.tar+gzip", data=b"an ordinary container layer")
    registry.server.push_model("library/busybox", "latest", image, [tar], OCI_MANIFEST)
    with pytest.raises(RegistryError, match="not a model"):
        app.library.pull(registry.ref("library/busybox"))
    assert app.library.list_models().models == []


def _sha(data: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest()
