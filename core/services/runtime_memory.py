"""How much of this machine a load needs: the slots a load gets when nobody says, the warning
when it will be tight, and the estimate Discover and the model details show. Each counts
only what the backend that loads the model keeps in this machine's RAM, and the RPC
workers' shares apart."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..errors import LlamadeskError
from ..interfaces.backend import Backend
from ..models.gguf import GGUFInfo
from ..models.llama import LoadOptions
from ..models.memory import MemoryEstimate, WorkerShare
from . import memory_fit

log = logging.getLogger(__name__)


def with_slots(info: GGUFInfo | None, options: LoadOptions, backend: Backend, available: int) -> LoadOptions:
    """`options` with `parallel` set: as given, else picked by the context size and the
    memory available (1 for a model without a local file: a remote server's business)."""
    if options.parallel is not None:
        return options
    slots = 1
    if info is not None:
        slots = memory_fit.auto_slots(
            info, options.context_size, available, host_share(backend, info, options), options.kv_types
        )
    return options.model_copy(update={"parallel": slots})


def draft_bytes(info: GGUFInfo | None, options: LoadOptions) -> int:
    """RAM the draft model takes beside the model (its weights and a KV cache per slot)."""
    if info is None:
        return 0
    slots = options.parallel or 1
    return memory_fit.estimate_memory(
        info, options.context_size, slots=slots, kv_types=options.kv_types
    ).total_bytes


def load_warnings(
    info: GGUFInfo | None, options: LoadOptions, backend: Backend, available: Callable[[], int]
) -> list[str]:
    """A warning when the load will be tight; raises InsufficientMemory when it cannot fit."""
    if info is None:
        return []
    workers = worker_shares(backend, info, options)  # first: it names a worker that is down
    estimate = memory_fit.check_memory_fit(
        info,
        options.context_size,
        available,
        host_share=host_share(backend, info, options),
        workers=workers,
        slots=options.parallel or 1,
        kv_types=options.kv_types,
    )
    return [estimate.message] if estimate.tight else []


def planned(info: GGUFInfo, options: LoadOptions, backend: Backend | None, available: int) -> MemoryEstimate:
    """What loading `info` with `options` needs at the least, and whether that fits now."""
    share, workers = 1.0, []
    if backend is not None:
        try:
            workers = worker_shares(backend, info, options)
        except LlamadeskError as exc:  # a worker that is down fails the load, not an estimate
            log.info("estimating %s without its RPC workers: %s", info.path, exc.message)
        share = host_share(backend, info, options)
    # Slots the user asked for; left to the runtime, a load takes more than one only where
    # they fit with room to spare, so one slot is what the model needs to run here.
    slots = options.parallel or 1
    return memory_fit.estimate_memory(
        info, options.context_size, available, share, workers, slots, options.kv_types
    )


def host_share(backend: Backend, info: GGUFInfo, options: LoadOptions) -> float:
    """What the backend keeps of the model in RAM (Backend.host_memory_share is optional)."""
    share = getattr(backend, "host_memory_share", None)
    return 1.0 if share is None else float(share(info, options))


def worker_shares(backend: Backend, info: GGUFInfo, options: LoadOptions) -> list[WorkerShare]:
    """What the backend puts on other machines (Backend.worker_shares is optional)."""
    shares = getattr(backend, "worker_shares", None)
    return [] if shares is None else list(shares(info, options))
