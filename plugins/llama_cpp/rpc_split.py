"""How a model's layers are split between this machine and RPC workers, as llama.cpp does it.

llama.cpp keeps the input embeddings on this machine's CPU, then runs the first
`n_layer + 1 - n_gpu_layers` layers (the output layer counted as the last) there too,
and spreads the rest over its devices (the RPC workers' devices first) at the
cumulative points of `tensor_split` (llama_model::load_tensors). A layer split given
as shares [this machine, worker 1, ...] becomes those two numbers here, and the same
arithmetic, float32 as in C, says which layers land where before anything is loaded:
for the memory check, and for `runtime.status`.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Sequence


def _f32(value: float) -> float:
    """`value` rounded to a C float, as llama.cpp computes the split points."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


def local_layers(total: int, shares: Sequence[float]) -> int:
    """Of `total` layers, how many stay on this machine for `shares` ([this machine, *workers])."""
    return round(total * shares[0] / sum(shares))


def device_layers(total: int, n_gpu_layers: int, tensor_split: Sequence[float]) -> tuple[int, list[int]]:
    """(layers on this machine's CPU, layers on each device) for a model of `total` layers (the
    output layer included) loaded with `n_gpu_layers` and `tensor_split`, one share per device."""
    points, running = [], 0.0
    for share in tensor_split:
        running = _f32(running + _f32(share))
        points.append(running)
    if not running:  # nothing offloaded (llama.cpp would split by free memory, but has no layer to)
        return total, [0] * len(tensor_split)
    points = [_f32(point / running) for point in points]
    start = max(total - n_gpu_layers, 0)
    active = min(n_gpu_layers, total) if tensor_split else 0
    here, counts = 0, [0] * len(tensor_split)
    for layer in range(total):
        if layer < start or layer - start >= active:
            here += 1
            continue
        position = _f32(_f32(layer - start) / active)
        counts[min(bisect.bisect_right(points, position), len(counts) - 1)] += 1
    return here, counts


def split_for_llama(
    total: int, shares: Sequence[float], devices_per_worker: Sequence[Sequence[float]]
) -> tuple[int, list[float]]:
    """(n_gpu_layers, tensor_split) that give this machine and each worker their `shares` of
    `total` layers; a worker's share is spread over its devices by `devices_per_worker` (the
    free memory each device reports, or any weights)."""
    split: list[float] = []
    for share, devices in zip(shares[1:], devices_per_worker, strict=True):
        weight = sum(devices)
        split += [share * device / weight if weight else share / len(devices) for device in devices]
    return total - local_layers(total, shares), split


def worker_layers(
    total: int, n_gpu_layers: int, tensor_split: Sequence[float], devices_per_worker: Sequence[int]
) -> tuple[int, list[int]]:
    """(layers here, layers on each worker): `device_layers` summed over each worker's devices."""
    here, counts = device_layers(total, n_gpu_layers, tensor_split)
    per_worker, at = [], 0
    for count in devices_per_worker:
        per_worker.append(sum(counts[at : at + count]))
        at += count
    return here, per_worker
