"""The layer split, computed as llama.cpp computes it (its loader's float32 arithmetic)."""

from __future__ import annotations

import pytest

from llamadesk.plugins.llama_cpp.rpc_split import (
    device_layers,
    local_layers,
    split_for_llama,
    worker_layers,
)


def test_equal_shares_split_the_starter_model_in_three() -> None:
    # SmolLM2-135M: 30 repeating layers and the output layer.
    n_gpu_layers, tensor_split = split_for_llama(31, [1, 1, 1], [[1.0], [1.0]])
    assert (n_gpu_layers, tensor_split) == (21, [1.0, 1.0])
    # llama.cpp gives the first device the layers whose position is below its split point:
    # 11 of the 21 offloaded ones (0/21 .. 10/21 < 0.5), the second the other 10.
    assert device_layers(31, 21, tensor_split) == (10, [11, 10])


def test_shares_by_memory_are_proportions() -> None:
    shares = [8e9, 16e9, 8e9]  # this machine, then two workers
    assert local_layers(81, shares) == 20
    n_gpu_layers, split = split_for_llama(81, shares, [[16e9], [8e9]])
    here, per_worker = worker_layers(81, n_gpu_layers, split, [1, 1])
    assert here == 20 and sum(per_worker) == 61 and per_worker[0] == pytest.approx(2 * per_worker[1], abs=1)


def test_a_machine_with_share_zero_gets_no_layer() -> None:
    n_gpu_layers, split = split_for_llama(31, [0, 1, 1], [[1.0], [1.0]])
    assert n_gpu_layers == 31
    assert device_layers(31, n_gpu_layers, split) == (0, [16, 15])
    n_gpu_layers, split = split_for_llama(31, [1, 0, 1], [[1.0], [1.0]])
    assert device_layers(31, n_gpu_layers, split)[1] == [0, 15]
    assert device_layers(31, 0, [0.0, 0.0]) == (31, [0, 0])  # all here


def test_a_worker_with_two_gpus_shares_its_part_by_their_memory() -> None:
    n_gpu_layers, split = split_for_llama(41, [1, 3], [[24e9, 8e9]])
    assert split == pytest.approx([2.25, 0.75])
    here, per_worker = worker_layers(41, n_gpu_layers, split, [2])
    assert here + per_worker[0] == 41 and here == 10
