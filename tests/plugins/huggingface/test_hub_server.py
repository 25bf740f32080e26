"""The test hub speaks what huggingface_hub expects: its own clients work against it unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

from huggingface_hub import HfApi, hf_hub_download

from .conftest import TINY_REPO, TINY_SPLIT
from .hub_server import HubServer


def test_huggingface_hub_lists_and_downloads_from_the_test_hub(hub: HubServer, hf_env: Path) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    files = api.list_repo_files(TINY_REPO)  # the tree route
    assert set(TINY_SPLIT) <= set(files) and "README.md" in files
    tree = {f.path: f for f in api.list_repo_tree(TINY_REPO, recursive=True)}
    q4 = hub.repos[TINY_REPO].file("tinyllama-Q4_K_M.gguf")
    assert tree[q4.path].lfs.sha256 == q4.sha256

    path = hf_hub_download(TINY_REPO, q4.path, endpoint=hub.url, cache_dir=hf_env / "hub", token=False)
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == q4.sha256
    # The cache keeps it under its LFS sha256: what a pull later reuses.
    assert (hf_env / "hub" / "models--tester--TinyLlama-GGUF" / "blobs" / q4.sha256).is_file()


def test_a_file_hf_download_fetched_is_not_downloaded_again(hub_app, hub: HubServer, hf_env: Path) -> None:
    q4 = hub.repos[TINY_REPO].file("tinyllama-Q4_K_M.gguf")
    hf_hub_download(TINY_REPO, q4.path, endpoint=hub.url, token=False)  # into HF_HOME/hub, as `hf download`
    assert len(hub.downloads_of(q4.path)) == 1
    result = hub_app.commands.invoke("models.pull", {"reference": f"hf.co/{TINY_REPO}:Q4_K_M"}).model_dump()
    assert len(hub.downloads_of(q4.path)) == 1
    assert result["reused"] >= q4.size
