"""models.pull for hf.co references: files resolved, fetched by the core downloader, verified."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError

from .conftest import GATED_REPO, STARTER_FILE, STARTER_REPO, TINY_REPO, TINY_SPLIT, TOKEN
from .hub_server import HubServer


def pull(app: App, reference: str) -> dict:
    return app.commands.invoke("models.pull", {"reference": reference}).model_dump()


def manifest_of(app: App, path: str) -> dict:
    return json.loads((app.models_dir / "manifests" / path).read_text())


def blob(app: App, sha256: str) -> Path:
    return app.models_dir / "blobs" / f"sha256-{sha256}"


def pull_error(app: App, reference: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        pull(app, reference)
    return caught.value


def test_pull_by_quant_pins_the_commit_and_names_blobs_by_lfs_sha(hub_app: App, hub: HubServer) -> None:
    repo = hub.repos[TINY_REPO]
    result = pull(hub_app, f"hf.co/{TINY_REPO}:q5_k_m")
    assert result["reference"] == f"hf.co/{TINY_REPO}:Q5_K_M"
    manifest = manifest_of(hub_app, f"hf.co/{TINY_REPO}/Q5_K_M")
    assert manifest["annotations"]["org.opencontainers.image.revision"] == repo.commit
    assert manifest["annotations"]["org.opencontainers.image.source"] == f"{hub.url}/{TINY_REPO}"
    model, projector = manifest["layers"]
    q5 = repo.file("tinyllama-Q5_K_M.gguf")
    assert (model["mediaType"], model["digest"], model["size"]) == (
        "application/vnd.ollama.image.model",
        f"sha256:{q5.sha256}",
        q5.size,
    )
    mmproj = repo.file("mmproj-tinyllama-f16.gguf")
    assert (projector["mediaType"], projector["digest"]) == (
        "application/vnd.ollama.image.projector",
        f"sha256:{mmproj.sha256}",
    )
    assert hashlib.sha256(blob(hub_app, q5.sha256).read_bytes()).hexdigest() == q5.sha256
    config = json.loads(blob(hub_app, manifest["config"]["digest"].split(":")[1]).read_text())
    assert config["file_type"] == "Q5_K_M" and config["model_format"] == "gguf"
    # Fetched at the pinned commit, not at a branch that may move.
    assert hub.downloads_of("tinyllama-Q5_K_M.gguf")[0].path == (
        f"/{TINY_REPO}/resolve/{repo.commit}/tinyllama-Q5_K_M.gguf"
    )
    listed = hub_app.commands.invoke("models.list", {"discover": False}).model_dump()["models"]
    assert [m["reference"] for m in listed] == [f"hf.co/{TINY_REPO}:Q5_K_M"]


def test_pull_without_tag_takes_q4_k_m_and_by_file_name(hub_app: App) -> None:
    assert pull(hub_app, f"hf.co/{TINY_REPO}")["reference"] == f"hf.co/{TINY_REPO}:Q4_K_M"
    assert pull(hub_app, f"huggingface.co/{TINY_REPO}:tinyllama-Q2_K.gguf")["reference"] == (
        f"hf.co/{TINY_REPO}:Q2_K"
    )
    assert (hub_app.models_dir / "manifests" / "hf.co" / "tester" / "TinyLlama-GGUF" / "Q2_K").is_file()


def test_pull_split_model_keeps_shards_in_order(hub_app: App, hub: HubServer) -> None:
    pull(hub_app, f"hf.co/{TINY_REPO}:Q6_K")
    manifest = manifest_of(hub_app, f"hf.co/{TINY_REPO}/Q6_K")
    models = [layer for layer in manifest["layers"] if layer["mediaType"].endswith(".model")]
    assert [layer["annotations"]["org.opencontainers.image.title"] for layer in models] == [
        path.rsplit("/", 1)[-1] for path in TINY_SPLIT
    ]
    shas = [hub.repos[TINY_REPO].file(path).sha256 for path in TINY_SPLIT]
    assert [layer["digest"] for layer in models] == [f"sha256:{s}" for s in shas]
    files = hub_app.library.model_files(f"hf.co/{TINY_REPO}:Q6_K")
    assert [f.name for f in files] == [f"model-0000{i}-of-00003.gguf" for i in (1, 2, 3)]


def test_unknown_quant_lists_the_choices(hub_app: App) -> None:
    error = pull_error(hub_app, f"hf.co/{TINY_REPO}:Q3_K_S")
    assert error.code == "not_found"
    assert "Q4_K_M" in error.message and "Q6_K" in error.message


def test_sha256_mismatch_is_rejected_and_nothing_is_kept(hub_app: App, hub: HubServer) -> None:
    hub.corrupt.add("tinyllama-Q8_0.gguf")
    error = pull_error(hub_app, f"hf.co/{TINY_REPO}:Q8_0")
    assert error.code == "digest_mismatch"
    sha = hub.repos[TINY_REPO].file("tinyllama-Q8_0.gguf").sha256
    assert not blob(hub_app, sha).exists()
    assert not (hub_app.models_dir / "manifests" / "hf.co" / "tester" / "TinyLlama-GGUF" / "Q8_0").exists()


def test_gated_pull_needs_a_token_which_goes_to_the_hub_only(
    hub_app: App, hub: HubServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    error = pull_error(hub_app, f"hf.co/{GATED_REPO}:Q4_K_M")
    assert error.code == "auth_required" and "hf auth login" in error.message
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    pull(hub_app, f"hf.co/{GATED_REPO}:Q4_K_M")
    (download,) = hub.downloads_of("gated-Q4_K_M.gguf")
    assert download.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in json.dumps(manifest_of(hub_app, f"hf.co/{GATED_REPO}/Q4_K_M"))
    assert TOKEN not in caplog.text


def test_gguf_in_the_hf_cache_is_reused_not_downloaded(hub_app: App, hub: HubServer, hf_env: Path) -> None:
    repo = hub.repos[TINY_REPO]
    q4 = repo.file("tinyllama-Q4_K_M.gguf")
    cached = hf_env / "hub" / "models--tester--TinyLlama-GGUF" / "blobs" / q4.sha256
    cached.parent.mkdir(parents=True)
    cached.write_bytes(q4.source)
    result = pull(hub_app, f"hf.co/{TINY_REPO}:Q4_K_M")  # the cache is found under HF_HOME
    assert hub.downloads_of("tinyllama-Q4_K_M.gguf") == []
    assert result["reused"] >= q4.size
    stored = blob(hub_app, q4.sha256)
    assert stored.read_bytes() == q4.source
    assert stored.stat().st_ino == cached.stat().st_ino  # linked: one copy on disk


def test_a_wrong_file_in_the_hf_cache_is_not_trusted(hub_app: App, hub: HubServer, hf_env: Path) -> None:
    q4 = hub.repos[TINY_REPO].file("tinyllama-Q4_K_M.gguf")
    cached = hf_env / "hub" / "models--tester--TinyLlama-GGUF" / "blobs" / q4.sha256
    cached.parent.mkdir(parents=True)
    cached.write_bytes(bytes(q4.size))  # right size, wrong bytes
    pull(hub_app, f"hf.co/{TINY_REPO}:Q4_K_M")
    assert len(hub.downloads_of("tinyllama-Q4_K_M.gguf")) == 1
    assert blob(hub_app, q4.sha256).read_bytes() == q4.source


@pytest.mark.slow
def test_pulled_model_loads_and_generates(hub_app: App, hub: HubServer) -> None:
    # No tag and no Q4_K_M in the repo: the choice recommended for this machine.
    assert pull(hub_app, f"hf.co/{STARTER_REPO}")["reference"] == f"hf.co/{STARTER_REPO}:Q4_1"
    reference = f"hf.co/{STARTER_REPO}:Q4_1"
    sha = hub.repos[STARTER_REPO].file(STARTER_FILE).sha256
    assert hub_app.library.resolve_model_path(reference) == blob(hub_app, sha)
    options = {"context_size": 512, "batch_size": 256, "threads": 2}
    status = hub_app.commands.invoke("runtime.load", {"model": reference, "options": options})
    assert status.state == "ready"
    try:
        result = hub_app.commands.invoke(
            "runtime.generate",
            {
                "model": status.id,
                "messages": [{"role": "user", "content": "Say hello."}],
                "sampling": {"temperature": 0, "max_tokens": 8},
            },
        )
        assert result.content.strip()
        assert result.usage.completion_tokens > 0
    finally:
        hub_app.commands.invoke("runtime.unload", {"model": status.id})


def test_snapshot_copy_in_the_hf_cache_is_reused(hub_app: App, hub: HubServer, hf_env: Path) -> None:
    # Where the cache cannot use symlinks (Windows), snapshots hold the files themselves.
    repo = hub.repos[TINY_REPO]
    q2 = repo.file("tinyllama-Q2_K.gguf")
    cached = hf_env / "hub" / "models--tester--TinyLlama-GGUF" / "snapshots" / repo.commit / q2.path
    cached.parent.mkdir(parents=True)
    cached.write_bytes(q2.source)
    pull(hub_app, f"hf.co/{TINY_REPO}:Q2_K")
    assert hub.downloads_of(q2.path) == []
    assert blob(hub_app, q2.sha256).read_bytes() == q2.source


def test_hub_names_never_point_outside_the_cache(tmp_path: Path) -> None:
    from llamadesk.plugins.huggingface.source import _cached_copies

    cache = tmp_path / "models--a--b"
    good = _cached_copies(cache, "a" * 64, "b" * 40, "sub/model.gguf")
    assert good == (cache / "blobs" / ("a" * 64), cache / "snapshots" / ("b" * 40) / "sub" / "model.gguf")
    assert _cached_copies(cache, "../../etc", "..", "../../../etc/passwd") == ()
    assert _cached_copies(cache, "A" * 64, "b" * 40, "x/../../y.gguf") == ()
