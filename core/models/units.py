"""Sizes written for people, the same way in every front end."""

from __future__ import annotations


def size_label(count: float) -> str:
    """Bytes for people: 98 MB, 4.1 GB (decimal units, as Ollama shows them)."""
    for unit, size in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}".replace(".0 ", " ")
    return f"{int(count)} B"
