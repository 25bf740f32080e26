"""Finding GGUFs other apps already downloaded, read-only, so they are never fetched twice.

Looks in the Hugging Face cache (`HF_HUB_CACHE`, `HF_HOME/hub`, or
`~/.cache/huggingface/hub`) and LM Studio's models folder (`~/.lmstudio/models`,
or the older `~/.cache/lm-studio/models`). Nothing is opened beyond its name
and size; nothing is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from ..models.library import DiscoveredModel

SPLIT_NAME = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)
# Files that are parts of a model rather than a model: vision projectors, later shards.
_NOT_A_MODEL = re.compile(r"mmproj|projector", re.IGNORECASE)
_NAME_CHARS = re.compile(r"[^a-z0-9._-]+")
MAX_DEPTH = 6


def huggingface_cache_dir() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path.home() / ".cache" / "huggingface" / "hub"


def lmstudio_dirs() -> list[Path]:
    home = Path.home()
    return [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]


def ollama_store_dir() -> Path | None:
    """An Ollama store on this machine (`OLLAMA_MODELS` or `~/.ollama/models`), if there is one."""
    env = os.environ.get("OLLAMA_MODELS")
    candidate = Path(env).expanduser() if env else Path.home() / ".ollama" / "models"
    return candidate if (candidate / "manifests").is_dir() else None


def discover(imported: set[str] | None = None) -> list[DiscoveredModel]:
    """Every importable GGUF found; `imported` holds resolved paths already in the library
    (the HF cache's snapshot files are links to its blobs: compared resolved)."""
    imported = imported or set()
    found = [*_huggingface(huggingface_cache_dir()), *(m for d in lmstudio_dirs() for m in _lmstudio(d))]
    return [m.model_copy(update={"imported": str(Path(m.path).resolve()) in imported}) for m in found]


def suggested_name(file_name: str) -> str:
    """`SmolLM2-135M-Instruct.Q4_1.gguf` -> `smollm2-135m-instruct:q4_1` (quantization as the tag)."""
    stem = SPLIT_NAME.sub("", file_name)
    stem = re.sub(r"\.gguf$", "", stem, flags=re.IGNORECASE).lower()
    match = re.match(r"^(.+?)[.-]((?:i?q\d|f16|f32|bf16)[a-z0-9_]*)$", stem)
    name, tag = (match.group(1), match.group(2)) if match else (stem, "latest")
    name = _NAME_CHARS.sub("-", name).strip("-._")[:100] or "model"
    tag = _NAME_CHARS.sub("-", tag).strip("-._")[:100] or "latest"
    return f"{name}:{tag}"


def is_first_shard_or_whole(file_name: str) -> bool:
    match = SPLIT_NAME.search(file_name)
    return match is None or int(match.group(1)) == 1


def _huggingface(cache: Path) -> Iterator[DiscoveredModel]:
    if not cache.is_dir():
        return
    for repo_dir in sorted(cache.glob("models--*")):
        parts = repo_dir.name.split("--")[1:]
        repository = "/".join(parts) if parts else None
        for path in _ggufs(repo_dir / "snapshots"):
            yield _model(path, "huggingface", repository)


def _lmstudio(root: Path) -> Iterator[DiscoveredModel]:
    if not root.is_dir():
        return
    for path in _ggufs(root):
        rel = path.relative_to(root).parts
        repository = "/".join(rel[:2]) if len(rel) >= 3 else None
        yield _model(path, "lmstudio", repository)


def _ggufs(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    base_depth = len(root.parts)
    for folder, dirs, files in os.walk(root):
        if len(Path(folder).parts) - base_depth >= MAX_DEPTH:
            dirs.clear()
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if (
                name.lower().endswith(".gguf")
                and is_first_shard_or_whole(name)
                and not _NOT_A_MODEL.search(name)
            ):
                yield Path(folder) / name


def _model(path: Path, source: str, repository: str | None) -> DiscoveredModel:
    try:
        size = path.stat().st_size  # follows the HF cache's symlink to its blob
    except OSError:
        size = 0
    return DiscoveredModel(
        path=str(path),
        source=source,
        size=size,
        suggested_name=suggested_name(path.name),
        repository=repository,
    )
