"""The Hugging Face cache on this machine: where huggingface_hub keeps what it downloaded.

Read-only. Its GGUFs are offered for import (`discover_local_models`), and a pull of a
file the cache holds already links or copies it instead of downloading (source.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from llamadesk.core.models.library import DiscoveredModel
from llamadesk.lib.gguf_folders import found_model, model_ggufs


def huggingface_cache_dir() -> Path:
    """`HF_HUB_CACHE`, `HF_HOME/hub`, or `~/.cache/huggingface/hub`, as huggingface_hub reads them."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path.home() / ".cache" / "huggingface" / "hub"


def cached_models() -> list[DiscoveredModel]:
    """Every model GGUF in the cache's snapshots, with the repo it came from."""
    cache = huggingface_cache_dir()
    if not cache.is_dir():
        return []
    found = []
    for repo_dir in sorted(cache.glob("models--*")):
        parts = repo_dir.name.split("--")[1:]
        repository = "/".join(parts) if parts else None
        found += [
            found_model(path, "huggingface", repository) for path in model_ggufs(repo_dir / "snapshots")
        ]
    return found
