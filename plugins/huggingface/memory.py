"""Memory needed by a model file: the adapter onto the runtime's estimate.

TEMPORARY until the runtime branch (core/services/memory_fit.py) is merged: then
`required_bytes` calls its `estimate_memory` and this file keeps only the adapter.
The numbers mirror it: weights + f16 KV cache for the context + compute overhead.
"""

from __future__ import annotations

import psutil

from llamadesk.core.models.gguf import GGUFInfo

MIB = 1 << 20
BASE_OVERHEAD = 96 * MIB
OVERHEAD_SHARE = 0.05
KV_BYTES_PER_VALUE = 2
# Without a header, the KV cache is guessed as this share of the weights (4k context,
# a grouped-query model of a few billion weights lands near it).
KV_GUESS_SHARE = 0.15


def available_memory() -> int:
    return int(psutil.virtual_memory().available)


def required_bytes(file_size: int, context_size: int, shape: GGUFInfo | None) -> int:
    """Estimated RAM to run a file of `file_size` bytes; `shape` is any quant's header of the repo."""
    if shape is None:
        kv = int(file_size * KV_GUESS_SHARE * context_size / 4096)
    else:
        heads = shape.head_count or 1
        head_dim = shape.embedding_length // heads if shape.embedding_length else 0
        key = shape.key_length or head_dim
        value = shape.value_length or head_dim
        kv_heads = shape.head_count_kv or heads
        kv = shape.block_count * kv_heads * (key + value) * KV_BYTES_PER_VALUE * context_size
    return file_size + kv + BASE_OVERHEAD + int(file_size * OVERHEAD_SHARE)
