"""Memory a hub file would need: the runtime's estimate (through the plugin context's
memory planner, which counts what a GPU build keeps in the GPU's memory), fed with the
repo's GGUF shape and each file's size.

One header serves every quant of a repo: layers and heads do not change with the
quantization, only the weights' size does.
"""

from __future__ import annotations

from llamadesk.core.interfaces.memory import MemoryPlanner
from llamadesk.core.models.gguf import GGUFInfo

# Without a header the KV cache is guessed as this share of the weights at 4k context
# (a grouped-query model of a few billion weights lands near it).
KV_GUESS_SHARE = 0.15
_NO_SHAPE = GGUFInfo(path="", file_size=0, version=3, tensor_count=0)


def required_bytes(memory: MemoryPlanner, file_size: int, context_size: int, shape: GGUFInfo | None) -> int:
    """Estimated RAM to run `file_size` bytes of weights at `context_size`."""
    if shape is None:
        estimate = memory.estimate_memory(_NO_SHAPE.model_copy(update={"file_size": file_size}), context_size)
        return estimate.total_bytes + int(file_size * KV_GUESS_SHARE * context_size / 4096)
    # A split model's shards are summed by the caller: one file of the total size.
    info = shape.model_copy(update={"file_size": file_size, "split_count": 1})
    return memory.estimate_memory(info, context_size).total_bytes
