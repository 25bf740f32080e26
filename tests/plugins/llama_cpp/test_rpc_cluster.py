"""Planning a load across RPC workers: who is asked, how the layers are shared, what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from llamadesk.core.errors import ModelLoadFailed
from llamadesk.core.gguf import read_gguf
from llamadesk.core.models.llama import LoadOptions
from llamadesk.core.models.rpc import RpcDevice, RpcWorkerInfo, RpcWorkerState
from llamadesk.plugins.llama_cpp.rpc_cluster import RpcCluster

GIB = 1024**3


def ready(endpoint: str, *free: int) -> RpcWorkerInfo:
    devices = [RpcDevice(free_bytes=f, total_bytes=f) for f in free]
    return RpcWorkerInfo(
        endpoint=endpoint, state=RpcWorkerState.READY, devices=devices, offered_bytes=sum(free)
    )


def cluster(workers: dict[str, RpcWorkerInfo], available: int = 8 * GIB) -> tuple[RpcCluster, list[str]]:
    asked: list[str] = []

    def ask(endpoint: str) -> RpcWorkerInfo:
        asked.append(endpoint)
        return workers[endpoint]

    return RpcCluster(lambda: list(workers), available_memory=lambda: available, ask=ask), asked


RPC = LoadOptions(rpc=True)


def test_layers_are_shared_by_free_memory(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    rpc, _ = cluster({"a:1": ready("a:1", 16 * GIB), "b:1": ready("b:1", 8 * GIB)}, available=8 * GIB)
    plan = rpc.plan(info, RPC)
    assert plan.total_layers == 31 and plan.local_layers == 8  # 31 x 8/32
    # llama.cpp's split points: the first worker takes the positions below 2/3 (16 of 23 layers).
    assert plan.worker_layers == (16, 7) and plan.host_share == 8 / 31
    assert plan.launch.endpoints == ["a:1", "b:1"] and plan.launch.n_gpu_layers == 23
    shares = plan.worker_shares()
    assert [(s.host, s.offered_bytes) for s in shares] == [("a:1", 16 * GIB), ("b:1", 8 * GIB)]
    assert shares[0].share == 16 / 31
    assert [(p.host, p.layers) for p in plan.parts()] == [("", 8), ("a:1", 16), ("b:1", 7)]


def test_a_layer_split_is_followed_and_a_plan_is_reused_for_the_load(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    rpc, asked = cluster({"a:1": ready("a:1", GIB), "b:1": ready("b:1", GIB)})
    options = LoadOptions(rpc=True, layer_split=[0, 1, 1])
    plan = rpc.plan(info, options)
    assert plan.local_layers == 0 and plan.worker_layers == (16, 15)
    assert rpc.plan(info, options) is plan and asked == ["a:1", "b:1"]  # the memory check's, then the load's
    rpc.forget()
    rpc.plan(info, options)
    assert len(asked) == 4


def test_a_worker_that_is_down_is_named_in_one_line(starter_model: Path) -> None:
    down = RpcWorkerInfo(endpoint="b:1", state=RpcWorkerState.DOWN, detail="nothing listens on that port")
    rpc, _ = cluster({"a:1": ready("a:1", GIB), "b:1": down})
    with pytest.raises(ModelLoadFailed) as caught:
        rpc.plan(read_gguf(starter_model), RPC)
    assert caught.value.message == (
        "RPC worker b:1 is down (nothing listens on that port): start `llamadesk rpc-worker` there, "
        "or take it off the list with `llamadesk rpc rm b:1`"
    )
    busy = RpcWorkerInfo(endpoint="b:1", state=RpcWorkerState.BUSY, detail="it serves another client")
    rpc, _ = cluster({"a:1": ready("a:1", GIB), "b:1": busy})
    with pytest.raises(ModelLoadFailed, match="RPC worker b:1 is busy: it serves another client"):
        rpc.plan(read_gguf(starter_model), RPC)


def test_no_worker_or_a_split_of_the_wrong_length_is_refused(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    with pytest.raises(ModelLoadFailed, match="no RPC worker is listed: add one with `llamadesk rpc add"):
        cluster({})[0].plan(info, RPC)
    rpc, asked = cluster({"a:1": ready("a:1", GIB)})
    with pytest.raises(ModelLoadFailed, match="layer_split has 3 shares; it needs 2: this machine's, then"):
        rpc.plan(info, LoadOptions(rpc=True, layer_split=[1, 1, 1]))
    assert not asked  # refused before asking anyone


def test_layer_split_is_validated() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        LoadOptions(layer_split=[1, -1])
    with pytest.raises(ValueError, match="at least one share above 0"):
        LoadOptions(layer_split=[0, 0])
