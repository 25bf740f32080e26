"""What a plugin may ask about memory: what this machine has free, and what a model needs.

The runtime answers (`core/services/runtime.py`), counting only the share of the
model that the backend which would load it keeps in RAM (a GPU build keeps the
offloaded layers in the GPU's own memory).
"""

from __future__ import annotations

from typing import Protocol

from ..models.gguf import GGUFInfo
from ..models.memory import MemoryEstimate


class MemoryPlanner(Protocol):
    def available_memory(self) -> int:
        """Bytes the OS could give now without swapping."""
        ...

    def estimate_memory(self, info: GGUFInfo, context_size: int | None = None) -> MemoryEstimate:
        """What loading a model of this shape needs with the load settings (at `context_size`
        instead of the setting's, when given), judged against what is free now."""
        ...
