"""Memory estimates from the real starter model's GGUF header."""

from __future__ import annotations

from pathlib import Path

import pytest

from llamadesk.core.errors import InsufficientMemory
from llamadesk.core.gguf import read_gguf
from llamadesk.core.models.gguf import GGUFInfo
from llamadesk.core.models.llama import LoadOptions
from llamadesk.core.models.memory import DEFAULT_KV_TYPES, WorkerShare
from llamadesk.core.services.memory_fit import (
    GIB,
    MIB,
    auto_slots,
    check_memory_fit,
    estimate_memory,
    kv_cache_bytes,
)

F16 = ("f16", "f16")  # keys and values full: the figures these tests were written with


def test_kv_cache_of_smollm2(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    # 30 layers x 3 KV heads x (64 + 64) dims x 2 bytes (f16) per position
    assert kv_cache_bytes(info, 1, F16) == 30 * 3 * 128 * 2
    assert kv_cache_bytes(info, 8192, F16) == 8192 * 30 * 3 * 128 * 2
    # By default keys are q8_0: 34 bytes per 32 values.
    assert kv_cache_bytes(info, 8192) == 8192 * 30 * 3 * (64 * 2 + 64 * 34 // 32)
    assert kv_cache_bytes(info, 8192, ("q4_0", "q4_0")) == 8192 * 30 * 3 * 128 * 18 // 32


def test_the_estimates_default_cache_types_are_the_load_options_defaults() -> None:
    assert LoadOptions().kv_types == DEFAULT_KV_TYPES
    # llama.cpp quantizes values only with flash attention: without it they are f16.
    assert LoadOptions(flash_attention=False, cache_type_v="q8_0").kv_types == ("q8_0", "f16")


def test_estimate_adds_weights_kv_and_overhead(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    estimate = estimate_memory(info, 4096)
    assert estimate.weights_bytes == starter_model.stat().st_size
    assert estimate.total_bytes == estimate.weights_bytes + estimate.kv_cache_bytes + estimate.overhead_bytes
    assert estimate.fits and not estimate.message  # no availability given: no judgement


def test_fits_comfortably(starter_model: Path) -> None:
    estimate = estimate_memory(read_gguf(starter_model), 2048, available=8 * GIB)
    assert estimate.fits and not estimate.tight and not estimate.message


def test_tight_fit_warns(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    total = estimate_memory(info, 2048).total_bytes
    estimate = check_memory_fit(info, 2048, available=lambda: int(total / 0.9))
    assert estimate.fits and estimate.tight
    assert estimate.message.startswith("tight fit")


def test_refusal_names_the_numbers_and_what_to_change(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    with pytest.raises(InsufficientMemory) as caught:
        check_memory_fit(info, 131072, available=lambda: 512 * MIB, kv_types=F16)
    message = caught.value.message
    assert "context 131072" in message and "0.50 GiB is available" in message
    assert "KV cache 2.81 GiB" in message
    assert "smaller context size (e.g. 32768" in message and "Q4_1" in message
    assert caught.value.code == "insufficient_memory"


def test_every_slot_holds_its_own_kv_cache(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    one, four = estimate_memory(info, 8192), estimate_memory(info, 8192, slots=4)
    assert four.kv_cache_bytes == 4 * one.kv_cache_bytes and four.slots == 4
    total = one.total_bytes + one.kv_cache_bytes  # room for one slot and a bit
    with pytest.raises(InsufficientMemory) as caught:
        check_memory_fit(info, 8192, available=lambda: total, slots=4)
    assert "for 4 slots" in caught.value.message and "fewer slots (parallel)" in caught.value.message


def test_unset_slots_are_picked_by_context_and_memory(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    assert auto_slots(info, 4096, available=16 * GIB) == 4
    # 128k tokens of f16 KV cache is 2.8 GiB a slot: more than a small share of 16 GiB.
    assert auto_slots(info, 131072, available=16 * GIB, kv_types=F16) == 1
    assert auto_slots(info, 131072, available=32 * GIB, kv_types=F16) == 2
    # With keys q8_0 (the default) it is 2.2 GiB: two fit in 16 GiB.
    assert auto_slots(info, 131072, available=16 * GIB) == 2
    assert auto_slots(info, 4096, available=300 * MIB) == 1


def test_layers_on_a_gpu_are_not_counted_against_ram(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    whole = estimate_memory(info, 131072)
    quarter = estimate_memory(info, 131072, host_share=0.25)
    assert quarter.weights_bytes == int(whole.weights_bytes * 0.25)
    assert quarter.kv_cache_bytes == int(whole.kv_cache_bytes * 0.25)
    in_ram = quarter.weights_bytes + quarter.kv_cache_bytes
    assert quarter.gpu_bytes == whole.weights_bytes + whole.kv_cache_bytes - in_ram
    assert whole.gpu_bytes == 0
    # What the whole model would not fit, a quarter of it does; the message says where the rest goes.
    available = (whole.total_bytes + quarter.total_bytes) // 2
    assert check_memory_fit(info, 131072, lambda: available, host_share=0.25).fits
    with pytest.raises(InsufficientMemory):
        check_memory_fit(info, 131072, lambda: available)
    with pytest.raises(InsufficientMemory) as caught:
        check_memory_fit(info, 131072, lambda: quarter.total_bytes // 2, host_share=0.25)
    assert "more on the GPU" in caught.value.message and "more layers on the GPU" in caught.value.message


# --- a model split across machines (llama.cpp's RPC workers) ---

LLAMA_70B_Q4 = GGUFInfo(
    path="/models/llama-3.3-70b-instruct-q4_k_m.gguf",
    file_size=42_520_000_000,
    version=3,
    tensor_count=724,
    name="Llama 3.3 70B Instruct",
    quantization="Q4_K_M",
    block_count=80,
    embedding_length=8192,
    head_count=64,
    head_count_kv=8,
)


def test_each_worker_is_checked_against_what_it_offers(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    workers = [
        WorkerShare(host="10.0.0.2:50052", share=0.4, offered_bytes=8 * GIB),
        WorkerShare(host="10.0.0.3:50052", share=0.3, offered_bytes=8 * GIB),
    ]
    estimate = estimate_memory(info, 2048, available=8 * GIB, host_share=0.3, workers=workers)
    assert estimate.fits and not estimate.message
    whole = estimate_memory(info, 2048)
    assert estimate.weights_bytes == int(whole.weights_bytes * 0.3)
    assert estimate.gpu_bytes == 0  # what is not here is on the workers, not on a GPU
    first, second = estimate.workers
    assert first.host == "10.0.0.2:50052" and first.fits and first.offered_bytes == 8 * GIB
    part = int(whole.weights_bytes * 0.4) + int(whole.kv_cache_bytes * 0.4)
    assert first.needed_bytes > part  # plus its own compute buffers
    assert second.needed_bytes < first.needed_bytes


def test_a_cluster_that_cannot_hold_the_model_is_refused_with_every_part() -> None:
    workers = [
        WorkerShare(host="10.0.0.2:50052", share=0.4, offered_bytes=16 * GIB),
        WorkerShare(host="10.0.0.3:50052", share=0.3, offered_bytes=8 * GIB),
    ]
    with pytest.raises(InsufficientMemory) as caught:
        check_memory_fit(
            LLAMA_70B_Q4, 4096, available=lambda: 14 * GIB, host_share=0.3, workers=workers, kv_types=F16
        )
    message = caught.value.message
    assert message.startswith("not enough memory in the cluster: Llama 3.3 70B Instruct at context 4096")
    assert "this machine 12.94 GiB of 14.00 GiB available" in message
    assert "10.0.0.2:50052 17.23 GiB of 16.00 GiB offered" in message
    assert "10.0.0.3:50052 12.94 GiB of 8.00 GiB offered" in message
    assert "too little on 10.0.0.2:50052, 10.0.0.3:50052" in message
    assert "add an RPC worker" in message  # 43.1 GiB needed, 38 GiB in all
    details = caught.value.details
    assert [w["fits"] for w in details["workers"]] == [False, False]


def test_a_cluster_with_room_elsewhere_says_to_move_layers() -> None:
    workers = [
        WorkerShare(host="10.0.0.2:50052", share=0.5, offered_bytes=64 * GIB),
        WorkerShare(host="10.0.0.3:50052", share=0.3, offered_bytes=8 * GIB),
    ]
    with pytest.raises(InsufficientMemory) as caught:
        check_memory_fit(LLAMA_70B_Q4, 4096, available=lambda: 32 * GIB, host_share=0.2, workers=workers)
    message = caught.value.message
    assert "too little on 10.0.0.3:50052." in message
    assert "move layers to the machines with room (layer_split)" in message
