"""Will a model fit in memory? An estimate from its GGUF header, before loading.

RAM needed = weights (the file, read into memory or mapped) + KV cache (keys
and values, in the load's cache types, for every layer and every position of the context, once for
each slot: a model that serves several conversations at once holds a context
for each) + an allowance for compute buffers. It is an estimate meant to catch the mistakes that
matter (a 70B model on a laptop, a 128k context on a small machine), not to
predict RSS to the megabyte. `models.show` reports it through `estimate_memory`.

When the backend puts layers in a GPU's own memory, their share of the weights and
the KV cache (`host_share` is what stays) is reported as `gpu_bytes` and not
checked against RAM: the GPU's memory is the backend's to judge, and llama.cpp
says so when a load does not fit there.

When it puts parts on other machines (llama.cpp's RPC workers), `host_share` is
this machine's part, and each worker's share plus its compute buffers is checked
against the memory that worker offers: the model fits when every part does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import psutil

from ..errors import N_, InsufficientMemory
from ..models.gguf import GGUFInfo
from ..models.memory import (
    CACHE_TYPE_BYTES,
    DEFAULT_KV_TYPES,
    TIGHT_SHARE,
    KvTypes,
    MemoryEstimate,
    WorkerFit,
    WorkerShare,
)
from ..models.phrase import Phrase, joined, phrase

GIB = 1024**3
MIB = 1024**2
BASE_OVERHEAD = 96 * MIB  # runtime, compute graph, logits
OVERHEAD_SHARE = 0.05  # compute buffers grow with the model
AUTO_SLOTS = (4, 2)  # what an unset `parallel` tries, before 1
# Slots beyond the first may take at most this share of the available memory: a desktop
# keeps most of its memory for its other programs when a model runs one chat at a time.
AUTO_EXTRA_SLOTS_SHARE = 0.15


def available_memory() -> int:
    """Bytes the OS could give us now without swapping."""
    return int(psutil.virtual_memory().available)


def kv_cache_bytes(info: GGUFInfo, context_size: int, kv_types: KvTypes = DEFAULT_KV_TYPES) -> int:
    heads = info.head_count or 1
    head_dim = info.embedding_length // heads if info.embedding_length else 0
    key = info.key_length or head_dim
    value = info.value_length or head_dim
    kv_heads = info.head_count_kv or heads
    key_bytes, value_bytes = (CACHE_TYPE_BYTES[kind] for kind in kv_types)
    per_position = info.block_count * kv_heads * (key * key_bytes + value * value_bytes)
    return int(per_position * context_size)


def estimate_memory(
    info: GGUFInfo,
    context_size: int,
    available: int | None = None,
    host_share: float = 1.0,
    workers: Sequence[WorkerShare] = (),
    slots: int = 1,
    kv_types: KvTypes = DEFAULT_KV_TYPES,
) -> MemoryEstimate:
    """Estimate RAM for `info` at `context_size` in each of `slots` conversations, of which
    `host_share` of the weights and KV cache stays in RAM, and each of `workers` holds its
    share on another machine; with `available`, judge the fit."""
    model_weights = info.file_size * max(info.split_count, 1)
    model_kv = kv_cache_bytes(info, context_size, kv_types) * slots
    weights, kv = int(model_weights * host_share), int(model_kv * host_share)
    remote = [_worker_fit(worker, model_weights, model_kv) for worker in workers]
    # With workers, what is not here is on them (llama.cpp keeps this machine's part on its CPU).
    gpu = 0 if workers else model_weights + model_kv - weights - kv
    overhead = BASE_OVERHEAD + int(weights * OVERHEAD_SHARE)
    total = weights + kv + overhead
    fits, tight, advice = all(w.fits for w in remote), False, None
    if available is not None:
        fits = fits and total <= available
        tight = fits and total > available * TIGHT_SHARE
        if remote and not fits:
            advice = _cluster_advice(info, context_size, total, available, remote)
        elif not fits or tight:
            advice = _advice(info, context_size, weights, kv, total, available, fits, gpu, slots, kv_types)
    return MemoryEstimate(
        weights_bytes=weights,
        kv_cache_bytes=kv,
        overhead_bytes=overhead,
        total_bytes=total,
        gpu_bytes=gpu,
        context_size=context_size,
        slots=slots,
        available_bytes=available,
        workers=remote,
        fits=fits,
        tight=tight,
        message=advice.english() if advice is not None else "",
        advice=advice,
    )


def check_memory_fit(
    info: GGUFInfo,
    context_size: int,
    available: Callable[[], int] = available_memory,
    host_share: float = 1.0,
    workers: Sequence[WorkerShare] = (),
    slots: int = 1,
    kv_types: KvTypes = DEFAULT_KV_TYPES,
) -> MemoryEstimate:
    """The estimate, or InsufficientMemory naming the numbers and what to change."""
    estimate = estimate_memory(info, context_size, available(), host_share, workers, slots, kv_types)
    if not estimate.fits:
        # The message in parts travels as `phrase`: the window translates each (ui/catalogs.py).
        advice = estimate.advice.model_dump() if estimate.advice is not None else None
        raise InsufficientMemory(
            estimate.message, phrase=advice, **estimate.model_dump(exclude={"message", "advice"})
        )
    return estimate


def auto_slots(
    info: GGUFInfo,
    context_size: int,
    available: int,
    host_share: float = 1.0,
    kv_types: KvTypes = DEFAULT_KV_TYPES,
) -> int:
    """Slots for a load that leaves `parallel` unset: the most of AUTO_SLOTS whose KV caches
    fit without a tight fit, the slots beyond the first taking at most
    AUTO_EXTRA_SLOTS_SHARE of the available memory; else 1."""
    per_slot = kv_cache_bytes(info, context_size, kv_types) * host_share
    for slots in AUTO_SLOTS:
        estimate = estimate_memory(info, context_size, available, host_share, slots=slots, kv_types=kv_types)
        if (
            estimate.fits
            and not estimate.tight
            and per_slot * (slots - 1) <= available * AUTO_EXTRA_SLOTS_SHARE
        ):
            return slots
    return 1


def _worker_fit(worker: WorkerShare, model_weights: int, model_kv: int) -> WorkerFit:
    """A worker's part: its share of weights and KV cache, plus compute buffers as here."""
    part = int(model_weights * worker.share) + int(model_kv * worker.share)
    needed = part + (BASE_OVERHEAD + int(model_weights * worker.share * OVERHEAD_SHARE) if part else 0)
    return WorkerFit(
        host=worker.host,
        needed_bytes=needed,
        offered_bytes=worker.offered_bytes,
        fits=needed <= worker.offered_bytes,
    )


def _cluster_advice(
    info: GGUFInfo, context_size: int, total: int, available: int, workers: list[WorkerFit]
) -> Phrase:
    """Every part against what its machine has, when one of them does not fit."""
    needed = total + sum(w.needed_bytes for w in workers)
    offered = available + sum(w.offered_bytes for w in workers)
    here = phrase(
        N_("this machine {needed} of {available} available"), needed=_gib(total), available=_gib(available)
    )
    parts = [here] + [
        phrase(
            N_("{host} {needed} of {offered} offered"),
            host=w.host,
            needed=_gib(w.needed_bytes),
            offered=_gib(w.offered_bytes),
        )
        for w in workers
    ]
    short: list[Phrase | str] = [phrase(N_("this machine"))] if total > available else []
    over = joined(short + [w.host for w in workers if not w.fits], N_("{first}, {second}"))
    if needed > offered:
        change: Phrase = phrase(
            N_("add an RPC worker, or choose a smaller quantization, model or context size")
        )
    else:
        change = phrase(
            N_("move layers to the machines with room (layer_split), or free memory on {over}"), over=over
        )
    return phrase(
        N_(
            "not enough memory in the cluster: {name} at context {context} needs about {needed} of the "
            "{offered} its machines have ({parts}); too little on {over}. To fix it: {change}"
        ),
        name=info.name or info.path,
        context=context_size,
        needed=_gib(needed),
        offered=_gib(offered),
        parts=joined(parts, N_("{first}; {second}")),
        over=over,
        change=change,
    )


def _advice(
    info: GGUFInfo,
    context_size: int,
    weights: int,
    kv: int,
    total: int,
    available: int,
    fits: bool,
    gpu: int,
    slots: int = 1,
    kv_types: KvTypes = DEFAULT_KV_TYPES,
) -> Phrase:
    numbers = phrase(
        N_(
            "{name} at context {context} needs about {total} of RAM (weights {weights} + KV cache "
            "{kv}{each}{on_gpu}), and {available} is available"
        ),
        name=info.name or info.path,
        context=context_size,
        total=_gib(total),
        weights=_gib(weights),
        kv=_gib(kv),
        each=phrase(N_(" for {slots} slots"), slots=slots) if slots > 1 else "",
        on_gpu=phrase(N_("; {size} more on the GPU"), size=_gib(gpu)) if gpu else "",
        available=_gib(available),
    )
    changes = [phrase(N_("more layers on the GPU (gpu_layers)"))] if gpu else []
    if slots > 1:
        changes.append(phrase(N_("fewer slots (parallel)")))
    if kv > weights / 4 and context_size > 2048:
        smaller = max(2048, context_size // 4)
        changes.append(
            phrase(
                N_("a smaller context size (e.g. {smaller}, KV cache {kv})"),
                smaller=smaller,
                kv=_gib(kv_cache_bytes(info, smaller, kv_types) * slots),
            )
        )
    if info.quantization:
        changes.append(
            phrase(N_("a smaller quantization than {quant} or a smaller model"), quant=info.quantization)
        )
    else:
        changes.append(phrase(N_("a smaller quantization than this one or a smaller model")))
    verdict = (
        N_("tight fit: {numbers}; other programs may slow down. Consider {changes}")
        if fits
        else N_("not enough memory: {numbers}. Choose {changes}, or close other programs")
    )
    return phrase(verdict, numbers=numbers, changes=joined(changes))


def _gib(size: int) -> str:
    return f"{size / GIB:.2f} GiB" if size >= GIB / 10 else f"{size / MIB:.0f} MiB"
