"""What an inference backend provides. The runtime issue grows this interface."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Backend(Protocol):
    """Loads models and generates text. One instance serves many loaded models."""

    name: str
