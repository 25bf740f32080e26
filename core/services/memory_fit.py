"""Will a model fit in memory? An estimate from its GGUF header, before loading.

RAM needed = weights (the file, read into memory or mapped) + KV cache (keys
and values, f16, for every layer and every position of the context) + an
allowance for compute buffers. It is an estimate meant to catch the mistakes that
matter (a 70B model on a laptop, a 128k context on a small machine), not to
predict RSS to the megabyte. `models.show` reports it through `estimate_memory`.
"""

from __future__ import annotations

from collections.abc import Callable

import psutil

from ..errors import InsufficientMemory
from ..models.gguf import GGUFInfo
from ..models.llama import MemoryEstimate

GIB = 1024**3
MIB = 1024**2
KV_BYTES_PER_VALUE = 2  # llama.cpp's default KV cache type is f16
BASE_OVERHEAD = 96 * MIB  # runtime, compute graph, logits
OVERHEAD_SHARE = 0.05  # compute buffers grow with the model
TIGHT_SHARE = 0.8  # using more than this much of what is free leaves the machine sluggish


def available_memory() -> int:
    """Bytes the OS could give us now without swapping."""
    return int(psutil.virtual_memory().available)


def kv_cache_bytes(info: GGUFInfo, context_size: int) -> int:
    heads = info.head_count or 1
    head_dim = info.embedding_length // heads if info.embedding_length else 0
    key = info.key_length or head_dim
    value = info.value_length or head_dim
    kv_heads = info.head_count_kv or heads
    per_position = info.block_count * kv_heads * (key + value) * KV_BYTES_PER_VALUE
    return per_position * context_size


def estimate_memory(info: GGUFInfo, context_size: int, available: int | None = None) -> MemoryEstimate:
    """Estimate RAM for `info` at `context_size`; with `available`, judge the fit."""
    weights = info.file_size * max(info.split_count, 1)
    kv = kv_cache_bytes(info, context_size)
    overhead = BASE_OVERHEAD + int(weights * OVERHEAD_SHARE)
    total = weights + kv + overhead
    fits, tight, message = True, False, ""
    if available is not None:
        fits = total <= available
        tight = fits and total > available * TIGHT_SHARE
        if not fits or tight:
            message = _advice(info, context_size, weights, kv, total, available, fits)
    return MemoryEstimate(
        weights_bytes=weights,
        kv_cache_bytes=kv,
        overhead_bytes=overhead,
        total_bytes=total,
        context_size=context_size,
        available_bytes=available,
        fits=fits,
        tight=tight,
        message=message,
    )


def check_memory_fit(
    info: GGUFInfo, context_size: int, available: Callable[[], int] = available_memory
) -> MemoryEstimate:
    """The estimate, or InsufficientMemory naming the numbers and what to change."""
    estimate = estimate_memory(info, context_size, available())
    if not estimate.fits:
        raise InsufficientMemory(estimate.message, **estimate.model_dump(exclude={"message"}))
    return estimate


def _advice(
    info: GGUFInfo, context_size: int, weights: int, kv: int, total: int, available: int, fits: bool
) -> str:
    name = info.name or info.path
    numbers = (
        f"{name} at context {context_size} needs about {_gib(total)} "
        f"(weights {_gib(weights)} + KV cache {_gib(kv)}), and {_gib(available)} is available"
    )
    changes = []
    if kv > weights / 4 and context_size > 2048:
        smaller = max(2048, context_size // 4)
        changes.append(
            f"a smaller context size (e.g. {smaller}, KV cache {_gib(kv_cache_bytes(info, smaller))})"
        )
    changes.append(f"a smaller quantization than {info.quantization or 'this one'} or a smaller model")
    if fits:
        return f"tight fit: {numbers}; other programs may slow down. Consider " + " or ".join(changes)
    return f"not enough memory: {numbers}. Choose " + " or ".join(changes) + ", or close other programs"


def _gib(size: int) -> str:
    return f"{size / GIB:.2f} GiB" if size >= GIB / 10 else f"{size / MIB:.0f} MiB"
