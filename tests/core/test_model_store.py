"""The store on disk: Ollama's layout kept valid, hostile manifests refused, imports, discovery."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from llamadesk.core.errors import AlreadyExists, InvalidParams, InvalidReference, NotFound, RegistryError
from llamadesk.core.gguf import GGUFError, read_gguf
from llamadesk.core.services.model_store import ModelStore
from tests.gguf_writer import write_gguf, write_split

OLLAMA_TEMPLATE = "{{ .Prompt }}"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def add_blob(root: Path, data: bytes) -> dict[str, object]:
    digest = sha(data)
    (root / "blobs").mkdir(parents=True, exist_ok=True)
    (root / "blobs" / digest.replace(":", "-")).write_bytes(data)
    return {"digest": digest, "size": len(data)}


@pytest.fixture(scope="module")
def ollama_store_template(tmp_path_factory, starter_model: Path) -> Path:
    """An Ollama models folder as `ollama pull smollm2:135m` leaves it (built once, copied per test)."""
    root = tmp_path_factory.mktemp("ollama") / "models"
    weights = add_blob(root, starter_model.read_bytes())
    template = add_blob(root, OLLAMA_TEMPLATE.encode())
    params = add_blob(root, b'{"stop":["<|im_end|>"]}')
    config = add_blob(root, json.dumps({"model_format": "gguf", "model_family": "llama"}).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", **config},
        "layers": [
            {"mediaType": "application/vnd.ollama.image.model", **weights},
            {"mediaType": "application/vnd.ollama.image.template", **template},
            {"mediaType": "application/vnd.ollama.image.params", **params},
        ],
    }
    folder = root / "manifests" / "registry.ollama.ai" / "library" / "smollm2"
    folder.mkdir(parents=True)
    (folder / "135m").write_text(json.dumps(manifest))
    return root


@pytest.fixture
def ollama_store(tmp_path: Path, ollama_store_template: Path, app) -> Path:
    """A copy of the Ollama store, set as the app's models_dir."""
    root = tmp_path / "ollama-models"
    shutil.copytree(ollama_store_template, root)
    app.config.update({"models_dir": str(root)})
    return root


def assert_valid_for_ollama(root: Path) -> None:
    """What Ollama relies on: 4-level manifest paths that parse, blobs named sha256-<hex> that exist
    with the sizes the manifests say, and nothing else in blobs/ (Ollama prunes odd names)."""
    for path in (root / "manifests").rglob("*"):
        if path.is_file():
            assert len(path.relative_to(root / "manifests").parts) == 4, path
            manifest = json.loads(path.read_text())
            for entry in (manifest["config"], *manifest["layers"]):
                blob = root / "blobs" / entry["digest"].replace(":", "-")
                assert blob.is_file() and blob.stat().st_size == entry["size"], (path, entry)
    for blob in (root / "blobs").iterdir():
        assert re.fullmatch(r"sha256-[0-9a-f]{64}", blob.name), blob


def test_an_existing_ollama_store_is_used_and_stays_valid(
    app, ollama_store: Path, tmp_path, starter_model
) -> None:
    before = {p: p.read_bytes() for p in (ollama_store / "manifests").rglob("*") if p.is_file()}
    listing = app.library.list_models(discover=False)
    assert [m.reference for m in listing.models] == ["smollm2:135m"]
    details = app.library.show("smollm2:135m")
    assert details.template == OLLAMA_TEMPLATE and details.params == {"stop": ["<|im_end|>"]}
    assert details.gguf is not None and details.gguf.quantization == "Q4_1"
    assert app.library.resolve_model_path("smollm2:135m").parent == ollama_store / "blobs"

    # Writing into it: an import (shares the GGUF blob), a copy, then removing both.
    imported = app.library.import_file(starter_model, name="mine")
    app.library.copy("mine", "mine:second")
    assert_valid_for_ollama(ollama_store)
    assert app.library.remove("mine").removed_blobs == []
    removed = app.library.remove("mine:second")
    assert len(removed.removed_blobs) == 1  # only the import's own config blob; the GGUF is Ollama's too
    assert imported.size == starter_model.stat().st_size
    assert_valid_for_ollama(ollama_store)
    after = {p: p.read_bytes() for p in (ollama_store / "manifests").rglob("*") if p.is_file()}
    assert after == before
    assert {p.name for p in ollama_store.iterdir()} <= {"manifests", "blobs", ".llamadesk"}


def test_a_model_whose_blob_is_missing_is_shown_as_incomplete(app, ollama_store: Path) -> None:
    """Blobs deleted by hand or by another tool: the model stays visible, says what is missing."""
    manifest = json.loads((ollama_store / "manifests/registry.ollama.ai/library/smollm2/135m").read_text())
    weights, template, _params = manifest["layers"]
    (ollama_store / "blobs" / weights["digest"].replace(":", "-")).unlink()
    (ollama_store / "blobs" / template["digest"].replace(":", "-")).unlink()

    [listed] = app.library.list_models(discover=False).models
    assert listed.status == "incomplete"
    assert listed.missing_blobs == [weights["digest"], template["digest"]]
    assert "pull it again" in listed.problem

    details = app.library.show("smollm2:135m")
    assert details.summary == listed
    assert details.files == [] and details.gguf is None and details.memory_estimate is None
    assert details.manifest["layers"][0]["digest"] == weights["digest"]
    assert [(layer.kind, layer.on_disk) for layer in details.layers] == [
        ("config", True),
        ("weights", False),
        ("template", False),
        ("params", True),
    ]
    assert details.template is None and details.params == {"stop": ["<|im_end|>"]}
    shown = app.commands.invoke("models.show", {"reference": "smollm2:135m"}).model_dump()
    assert shown["summary"]["status"] == "incomplete"
    with pytest.raises(NotFound, match="incomplete"):
        app.library.resolve_model_path("smollm2:135m")


def test_ollama_store_on_the_machine_is_offered(app, tmp_path, monkeypatch, ollama_store_template) -> None:
    monkeypatch.setenv("OLLAMA_MODELS", str(ollama_store_template))
    assert app.library.list_models(discover=False).ollama_store == str(ollama_store_template)
    app.config.update({"models_dir": str(ollama_store_template)})
    assert app.library.list_models(discover=False).ollama_store is None  # already in use


def test_hostile_manifests_cannot_reach_outside_the_store(app, ollama_store: Path, tmp_path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    folder = ollama_store / "manifests" / "registry.ollama.ai" / "library" / "evil"
    folder.mkdir(parents=True)
    bad = {
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:../../../victim.txt", "size": 7},
        "layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{'0' * 63}/", "size": 1}],
    }  # fmt: skip
    (folder / "latest").write_text(json.dumps(bad))
    with pytest.raises(RegistryError, match="refusing blob digest"):
        app.library.resolve_model_path("evil")
    app.library.remove("evil")  # forgets the manifest, deletes nothing by its digests
    assert victim.read_text() == "keep me"
    assert app.library.resolve_model_path("smollm2:135m").is_file()

    # Odd files and links in the manifests tree are not models, and are left alone.
    (ollama_store / "manifests" / "stray-file").write_text("x")
    (ollama_store / "manifests" / "registry.ollama.ai" / "library" / "smollm2" / "..hidden").write_text("{}")
    outside = tmp_path / "outside"
    (outside / "library" / "x").mkdir(parents=True)
    (outside / "library" / "x" / "latest").write_text((folder.parent / "smollm2" / "135m").read_text())
    (ollama_store / "manifests" / "linked.example.com").symlink_to(outside)
    assert [m.reference for m in app.library.list_models(discover=False).models] == ["smollm2:135m"]
    with pytest.raises(InvalidReference):
        app.library.show("linked.example.com/library/x")  # the store refuses a path through a link
    with pytest.raises(InvalidReference):
        app.library.pull("linked.example.com/library/x")  # ... before any request is made
    with pytest.raises(InvalidReference):
        ModelStore(ollama_store).manifest_path(app.library.parse("linked.example.com/library/x"))


def test_import_in_place_copies_nothing_and_survives_only_while_the_file_does(
    app, tmp_path, starter_model
) -> None:
    model = tmp_path / "my models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    model.parent.mkdir()
    write_gguf(model, {"general.architecture": "llama"}, padding=b"\0" * 4096)
    result = app.library.import_file(model, in_place=True)
    assert result.reference == "smollm2-135m-instruct:q4_1" and result.in_place
    assert app.library.resolve_model_path(result.reference) == model.resolve()
    assert not (app.models_dir / "blobs").exists() and not (app.models_dir / "manifests").exists()
    [summary] = app.library.list_models(discover=False).models
    assert summary.in_place and summary.format == "in-place" and summary.size == model.stat().st_size
    assert app.library.show(result.reference).gguf.architecture == "llama"
    assert app.library.disk_usage().in_place_bytes == model.stat().st_size

    with pytest.raises(AlreadyExists):
        app.library.import_file(model, in_place=True)
    assert summary.problem is None
    os.utime(model, (1, 1))
    assert "changed since it was imported" in app.library.list_models(discover=False).models[0].problem
    moved = model.with_name("moved.gguf")
    model.rename(moved)
    assert "no longer there" in app.library.list_models(discover=False).models[0].problem
    with pytest.raises(NotFound, match="no longer there"):
        app.library.resolve_model_path(result.reference)
    assert app.library.remove(result.reference).freed == 0
    assert moved.exists()  # the user's file is never deleted


def test_import_by_copy_writes_an_ollama_model(app, starter_model) -> None:
    events = []
    result = app.library.import_file(starter_model, name="copied:q4", on_progress=events.append)
    assert not result.in_place and events[-1].phase == "done"
    assert events[-1].done == starter_model.stat().st_size
    path = app.library.resolve_model_path("copied:q4")
    assert path.parent == app.models_dir / "blobs" and path.read_bytes() == starter_model.read_bytes()
    manifest = json.loads((app.models_dir / "manifests/registry.ollama.ai/library/copied/q4").read_text())
    assert manifest["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert [layer["mediaType"] for layer in manifest["layers"]] == ["application/vnd.ollama.image.model"]
    config = json.loads(
        (app.models_dir / "blobs" / manifest["config"]["digest"].replace(":", "-")).read_text()
    )
    assert (
        config["model_family"] == "llama" and config["file_type"] == "Q4_1" and config["model_type"] == "135M"
    )
    assert_valid_for_ollama(app.models_dir)


def test_import_a_split_model_keeps_shard_order(app, tmp_path) -> None:
    shards = write_split(tmp_path / "split", "big-model-Q4_K_M", 3)
    result = app.library.import_file(shards[0])
    assert result.reference == "big-model:q4_k_m"
    files = app.library.model_files(result.reference)
    assert [read_gguf(f).split_index for f in files] == [0, 1, 2]
    assert files[0].name == "model-00001-of-00003.gguf"
    in_place = app.library.import_file(shards[0], name="big-in-place", in_place=True)
    assert [Path(f) for f in in_place.files] == [s.resolve() for s in shards]
    with pytest.raises(InvalidParams, match="import the first shard"):
        app.library.import_file(shards[1], name="second-shard")
    shards[2].unlink()
    with pytest.raises(NotFound, match="is missing"):
        app.library.import_file(shards[0], name="incomplete")


def test_import_refuses_what_is_not_a_gguf(app, tmp_path, starter_model) -> None:
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(GGUFError, match="not a GGUF"):
        app.library.import_file(text)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(starter_model.read_bytes()[:4096])
    with pytest.raises(GGUFError, match="truncated"):
        app.library.import_file(cut)
    with pytest.raises(NotFound):
        app.library.import_file(tmp_path / "missing.gguf")
    assert app.library.list_models(discover=False).models == []


def test_ggufs_from_other_apps_are_discovered_read_only(app, tmp_path, monkeypatch, starter_model) -> None:
    hf = tmp_path / "hf-cache"
    snapshot = hf / "models--bartowski--SmolLM2-GGUF" / "snapshots" / "abc123"
    blobs = hf / "models--bartowski--SmolLM2-GGUF" / "blobs"
    snapshot.mkdir(parents=True)
    blobs.mkdir()
    shutil.copy(starter_model, blobs / "e3b0c442")
    (snapshot / "SmolLM2-Q4_1.gguf").symlink_to(blobs / "e3b0c442")
    (snapshot / "mmproj-f16.gguf").write_bytes(b"GGUF")
    (snapshot / "README.md").write_text("hi")
    home = tmp_path / "user"
    lms = home / ".lmstudio" / "models" / "lmstudio-community" / "Qwen-GGUF"
    lms.mkdir(parents=True)
    write_split(lms, "Qwen-Q8_0", 2)
    monkeypatch.setenv("HF_HUB_CACHE", str(hf))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    before = sorted(p for p in tmp_path.rglob("*"))

    found = app.library.list_models().importable
    assert [(f.source, f.repository, Path(f.path).name, f.suggested_name) for f in found] == [
        ("huggingface", "bartowski/SmolLM2-GGUF", "SmolLM2-Q4_1.gguf", "smollm2:q4_1"),
        ("lmstudio", "lmstudio-community/Qwen-GGUF", "Qwen-Q8_0-00001-of-00002.gguf", "qwen:q8_0"),
    ]
    assert found[0].size == starter_model.stat().st_size
    assert sorted(p for p in tmp_path.rglob("*") if "home" not in p.parts) == [
        p for p in before if "home" not in p.parts
    ]

    app.library.import_file(found[0].path, in_place=True)
    assert app.library.list_models().importable[0].imported
    assert app.library.resolve_model_path("smollm2:q4_1").read_bytes()[:4] == b"GGUF"


def test_disk_usage_counts_shared_blobs_once(app, starter_model) -> None:
    app.library.import_file(starter_model, name="a")
    app.library.import_file(starter_model, name="b")
    usage = app.library.disk_usage()
    assert usage.model_count == 2
    assert starter_model.stat().st_size < usage.blob_bytes < 2 * starter_model.stat().st_size
    assert usage.unreferenced_bytes == 0 and usage.partial_bytes == 0 and usage.free_bytes > 0
