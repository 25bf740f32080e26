"""Planning a load across RPC workers, in the app's process: ask each worker, split the layers.

Before a model is loaded with `rpc` on, every worker of the `rpc_workers` setting is
asked what it offers (`rpc_probe.py`); one that is down, busy or of another version
stops the load with one line naming it. The layers are then shared between this
machine and the workers: by `layer_split` when given, else in proportion to free
memory (this machine's available RAM, each worker's offer). The same plan answers
the memory check (`host_memory_share`, `worker_shares`) and starts the model worker
(`WorkerRpcLaunch`), so what is checked is what is loaded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from llamadesk.core.errors import N_, ModelLoadFailed
from llamadesk.core.models.gguf import GGUFInfo
from llamadesk.core.models.llama import LoadOptions, ModelPart
from llamadesk.core.models.memory import WorkerShare
from llamadesk.core.models.rpc import RpcWorkerInfo, RpcWorkerState

from .messages import WorkerRpcLaunch
from .rpc_probe import probe
from .rpc_split import split_for_llama, worker_layers

PLAN_TTL_S = 5.0  # the memory check and the load that follows it use one plan


@dataclass(frozen=True)
class RpcPlan:
    """Where a load across RPC workers puts the model's layers."""

    total_layers: int  # the repeating layers and the output layer
    local_layers: int
    workers: tuple[RpcWorkerInfo, ...]
    worker_layers: tuple[int, ...]
    launch: WorkerRpcLaunch

    @property
    def host_share(self) -> float:
        return self.local_layers / self.total_layers

    def worker_shares(self) -> list[WorkerShare]:
        return [
            WorkerShare(host=w.endpoint, share=layers / self.total_layers, offered_bytes=w.offered_bytes)
            for w, layers in zip(self.workers, self.worker_layers, strict=True)
        ]

    def parts(self) -> list[ModelPart]:
        """The plan as status parts (used when llama.cpp's log said nothing)."""
        here = [ModelPart(device="CPU", layers=self.local_layers)] if self.local_layers else []
        return here + [
            ModelPart(host=w.endpoint, device="CPU", layers=layers)
            for w, layers in zip(self.workers, self.worker_layers, strict=True)
            if layers
        ]


class RpcCluster:
    """The RPC workers of the settings, asked and planned for on demand."""

    def __init__(
        self,
        endpoints: Callable[[], list[str]],
        available_memory: Callable[[], int] = lambda: int(psutil.virtual_memory().available),
        ask: Callable[[str], RpcWorkerInfo] = probe,
    ) -> None:
        self._endpoints = endpoints
        self._available = available_memory
        self._ask = ask
        self._lock = threading.Lock()
        self._plans: dict[tuple[object, ...], tuple[float, RpcPlan]] = {}

    def plan(self, info: GGUFInfo, options: LoadOptions) -> RpcPlan:
        """The plan for loading `info` with `options` (rpc on). Raises ModelLoadFailed naming a
        worker that cannot take part, or when none is listed."""
        endpoints = self._endpoints()
        key = (info.path, info.block_count, tuple(options.layer_split), tuple(endpoints))
        with self._lock:
            cached = self._plans.get(key)
            if cached is not None and time.monotonic() - cached[0] < PLAN_TTL_S:
                return cached[1]
        plan = self._make_plan(info.block_count + 1, options.layer_split, endpoints)
        with self._lock:
            self._plans = {k: v for k, v in self._plans.items() if time.monotonic() - v[0] < PLAN_TTL_S}
            self._plans[key] = (time.monotonic(), plan)
        return plan

    def forget(self) -> None:
        """Drop cached plans (after a load, so the next one asks the workers again)."""
        with self._lock:
            self._plans.clear()

    def _make_plan(self, total: int, layer_split: list[float], endpoints: list[str]) -> RpcPlan:
        if not endpoints:
            raise ModelLoadFailed(
                N_(
                    "rpc is on but no RPC worker is listed: add one with `llamadesk rpc add HOST:PORT` "
                    "(the llama_cpp.rpc_workers setting)"
                )
            )
        if layer_split and len(layer_split) != len(endpoints) + 1:
            raise ModelLoadFailed(
                N_(
                    "layer_split has {count} shares; it needs {needed}: this machine's, then one for each "
                    "RPC worker ({endpoints})"
                ),
                count=len(layer_split),
                needed=len(endpoints) + 1,
                endpoints=", ".join(endpoints),
            )
        workers = [self._ask(endpoint) for endpoint in endpoints]
        for worker in workers:
            if worker.state is RpcWorkerState.DOWN:
                raise ModelLoadFailed(
                    N_(
                        "RPC worker {endpoint} is down ({detail}): start `llamadesk rpc-worker` there, or "
                        "take it off the list with `llamadesk rpc rm {endpoint}`"
                    ),
                    endpoint=worker.endpoint,
                    detail=worker.detail,
                )
            if worker.state is not RpcWorkerState.READY:
                raise ModelLoadFailed(
                    N_("RPC worker {endpoint} is {state}: {detail}"),
                    endpoint=worker.endpoint,
                    state=worker.state.value,
                    detail=worker.detail,
                )
            if not worker.devices:
                raise ModelLoadFailed(N_("RPC worker {endpoint} offers no device"), endpoint=worker.endpoint)
        shares = layer_split or [float(self._available()), *(float(w.offered_bytes) for w in workers)]
        device_memory = [[float(d.free_bytes) for d in w.devices] for w in workers]
        n_gpu_layers, tensor_split = split_for_llama(total, shares, device_memory)
        here, per_worker = worker_layers(total, n_gpu_layers, tensor_split, [len(w.devices) for w in workers])
        launch = WorkerRpcLaunch(endpoints=endpoints, n_gpu_layers=n_gpu_layers, tensor_split=tensor_split)
        return RpcPlan(total, here, tuple(workers), tuple(per_worker), launch)
