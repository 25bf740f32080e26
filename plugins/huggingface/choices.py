"""A repo's file list turned into the choices a person picks from.

One choice per model GGUF; the shards of a split GGUF (`name-00001-of-00003.gguf`) are one
choice; multimodal projectors (`mmproj-*.gguf`) are kept apart, pulled beside a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llamadesk.core.models.hub import HubFileChoice

from .quants import quality_rank, quant_label

_SPLIT = re.compile(r"^(?P<stem>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


@dataclass(frozen=True)
class RepoFile:
    """A file as the hub lists it (`model_info(files_metadata=True)` siblings)."""

    path: str
    size: int | None = None
    sha256: str | None = None  # LFS sha256; None for files kept in git


def is_gguf(path: str) -> bool:
    return path.lower().endswith(".gguf")


def is_mmproj(path: str) -> bool:
    return "mmproj" in path.rsplit("/", 1)[-1].lower()


def group_choices(files: list[RepoFile]) -> list[HubFileChoice]:
    """Model GGUFs as choices, lowest quality first (ties by name)."""
    singles: list[RepoFile] = []
    splits: dict[tuple[str, int], dict[int, RepoFile]] = {}
    for file in files:
        if not is_gguf(file.path) or is_mmproj(file.path):
            continue
        match = _SPLIT.match(file.path)
        if match is None:
            singles.append(file)
        else:
            key = (match["stem"], int(match["count"]))
            splits.setdefault(key, {})[int(match["index"])] = file

    choices = [_choice([file], split_count=1) for file in singles]
    for (_stem, count), shards in splits.items():
        ordered = [shards[i] for i in sorted(shards)]
        choices.append(_choice(ordered, split_count=count))
    _name_uniquely(choices)
    return sorted(choices, key=lambda c: (quality_rank(c.quant), c.name))


def mmproj_files(files: list[RepoFile]) -> list[str]:
    return sorted(f.path for f in files if is_gguf(f.path) and is_mmproj(f.path))


def _choice(files: list[RepoFile], split_count: int) -> HubFileChoice:
    sizes = [f.size for f in files]
    known = all(size is not None for size in sizes)
    return HubFileChoice(
        name=quant_label(files[0].path) or files[0].path,
        quant=quant_label(files[0].path),
        files=[f.path for f in files],
        size=sum(s for s in sizes if s is not None) if known else None,
        sha256=[f.sha256 or "" for f in files],
        split_count=split_count,
        complete=len(files) == split_count,
    )


def _name_uniquely(choices: list[HubFileChoice]) -> None:
    """Two files with the same quant (say an imatrix and a plain Q4_K_M) are named by file."""
    seen: dict[str, int] = {}
    for choice in choices:
        seen[choice.name] = seen.get(choice.name, 0) + 1
    for index, choice in enumerate(choices):
        if seen[choice.name] > 1:
            choices[index] = choice.model_copy(update={"name": choice.files[0]})


def find_choice(choices: list[HubFileChoice], wanted: str) -> HubFileChoice | None:
    """The choice a tag names: a quant label (any case) or a file path (or its base name)."""
    lowered = wanted.lower()
    for choice in choices:
        if choice.name.lower() == lowered or choice.quant.lower() == lowered:
            return choice
    for choice in choices:
        for path in choice.files:
            if lowered in (path.lower(), path.rsplit("/", 1)[-1].lower()):
                return choice
    return None
