"""What a model source provides. The model library issue grows this interface."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ModelSource(Protocol):
    """Resolves model references to blobs and pulls them into the store."""

    name: str
