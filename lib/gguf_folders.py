"""Finding model GGUFs in another app's folder, read-only: names and sizes, nothing opened.

Shared by the plugins that know where an app keeps its models (the Hugging Face cache,
LM Studio). Only files that are a model are listed: a split model by its first
shard, vision projectors (`mmproj`) left out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from llamadesk.core.models.gguf import SPLIT_FILE_NAME
from llamadesk.core.models.library import DiscoveredModel

_NOT_A_MODEL = re.compile(r"mmproj|projector", re.IGNORECASE)
MAX_DEPTH = 6


def is_first_shard_or_whole(file_name: str) -> bool:
    match = SPLIT_FILE_NAME.search(file_name)
    return match is None or int(match.group(1)) == 1


def model_ggufs(root: Path, max_depth: int = MAX_DEPTH) -> Iterator[Path]:
    """Every model GGUF under `root` (hidden folders skipped), in a stable order."""
    if not root.is_dir():
        return
    base_depth = len(root.parts)
    for folder, dirs, files in os.walk(root):
        if len(Path(folder).parts) - base_depth >= max_depth:
            dirs.clear()
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if (
                name.lower().endswith(".gguf")
                and is_first_shard_or_whole(name)
                and not _NOT_A_MODEL.search(name)
            ):
                yield Path(folder) / name


def found_model(path: Path, source: str, repository: str | None) -> DiscoveredModel:
    try:
        size = path.stat().st_size  # follows a cache's symlink to its blob
    except OSError:
        size = 0
    return DiscoveredModel(path=str(path), source=source, size=size, repository=repository)
