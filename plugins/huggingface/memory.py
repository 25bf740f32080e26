"""Memory a hub file would need: the runtime's estimate (core/services/memory_fit.py),
fed with the repo's GGUF shape and each file's size.

One header serves every quant of a repo: layers and heads do not change with the
quantization, only the weights' size does.
"""

from __future__ import annotations

from llamadesk.core.models.gguf import GGUFInfo
from llamadesk.core.services.memory_fit import TIGHT_SHARE, available_memory, estimate_memory

__all__ = ["TIGHT_SHARE", "available_memory", "required_bytes"]

# Without a header the KV cache is guessed as this share of the weights at 4k context
# (a grouped-query model of a few billion weights lands near it).
KV_GUESS_SHARE = 0.15
_NO_SHAPE = GGUFInfo(path="", file_size=0, version=3, tensor_count=0)


def required_bytes(file_size: int, context_size: int, shape: GGUFInfo | None) -> int:
    """Estimated RAM to run `file_size` bytes of weights at `context_size`."""
    if shape is None:
        estimate = estimate_memory(_NO_SHAPE.model_copy(update={"file_size": file_size}), context_size)
        return estimate.total_bytes + int(file_size * KV_GUESS_SHARE * context_size / 4096)
    # A split model's shards are summed by the caller: one file of the total size.
    info = shape.model_copy(update={"file_size": file_size, "split_count": 1})
    return estimate_memory(info, context_size).total_bytes
