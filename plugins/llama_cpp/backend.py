"""The llama.cpp backend, main-process side: start workers, and speak to them.

`LlamaCppBackend.load()` spawns one worker process per model and waits for it to
be ready; `WorkerModel` (`worker_model.py`) is the handle the runtime keeps.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from llamadesk.core.errors import N_, Cancelled, ModelLoadFailed
from llamadesk.core.gguf import is_gguf, read_gguf
from llamadesk.core.interfaces.backend import ProgressCallback
from llamadesk.core.models.gguf import GGUFInfo
from llamadesk.core.models.library import RemoteModelInfo
from llamadesk.core.models.llama import LoadOptions
from llamadesk.core.models.memory import WorkerShare
from llamadesk.core.streaming import CancelToken
from llamadesk.lib.huge_pages import allow_huge_pages_in_children

from .gpu_build import can_offload, host_share
from .messages import WorkerLoadFailed, WorkerLoadProgress, WorkerPromptCache, WorkerReady, WorkerRpcLaunch
from .rpc_cluster import RpcCluster
from .worker import worker_main
from .worker_exit import describe_exit, describe_rpc_exit
from .worker_model import SHUTDOWN_S, WorkerModel

POLL_S = 0.1  # how often a loading caller checks that the worker still lives
ABORT_MESSAGE_BYTES = 1024  # what a model worker keeps of ggml's last words (an RPC worker gone)


class LlamaCppBackend:
    """Loads GGUF files with llama.cpp, each in its own worker process; with `rpc` on, across
    the RPC workers that `rpc_workers()` lists."""

    name = "llama_cpp"

    def __init__(
        self,
        rpc_workers: Callable[[], list[str]] = list,
        prompt_cache: Callable[[], WorkerPromptCache | None] = lambda: None,
    ) -> None:
        self.cluster = RpcCluster(rpc_workers)
        self.prompt_cache = prompt_cache

    def can_load(self, location: str, info: GGUFInfo | None) -> bool:
        return info is not None or (os.path.isfile(location) and is_gguf(location))

    def host_memory_share(self, info: GGUFInfo, options: LoadOptions) -> float:
        if options.rpc:
            try:
                return self.cluster.plan(info, options).host_share
            except ModelLoadFailed:  # a worker down: estimate as if it all stayed here
                return 1.0
        return host_share(info.block_count, options.gpu_layers, can_offload())

    def worker_shares(self, info: GGUFInfo, options: LoadOptions) -> list[WorkerShare]:
        return self.cluster.plan(info, options).worker_shares() if options.rpc else []

    def remote_models(self) -> list[RemoteModelInfo]:
        return []  # its models are the library's files

    def load(
        self,
        location: str,
        options: LoadOptions,
        on_progress: ProgressCallback | None,
        token: CancelToken | None,
    ) -> WorkerModel:
        name = Path(location).name
        plan = self.cluster.plan(read_gguf(location), options) if options.rpc else None
        self.cluster.forget()  # the next load asks the workers again
        launch: WorkerRpcLaunch | None = plan.launch if plan is not None else None
        allow_huge_pages_in_children()
        context = multiprocessing.get_context("spawn")
        conn, child_conn = context.Pipe(duplex=True)
        cancel_flags = context.RawArray(ctypes.c_longlong, options.parallel or 1)  # one per slot
        abort_message = context.RawArray(ctypes.c_char, ABORT_MESSAGE_BYTES) if plan is not None else None
        process = context.Process(
            target=worker_main,
            args=(
                child_conn,
                cancel_flags,
                location,
                options.model_dump_json(),
                launch.model_dump_json() if launch is not None else None,
                abort_message,
                cache.model_dump_json() if (cache := self.prompt_cache()) is not None else None,
            ),
            name=f"llamadesk-model:{name}",
            daemon=True,
        )
        process.start()
        child_conn.close()  # so that the worker's death closes the pipe for us
        try:
            ready = self._wait_ready(name, process, conn, on_progress, token)
        except ModelLoadFailed:
            process.kill()
            process.join(SHUTDOWN_S)
            conn.close()
            if plan is None:
                raise
            # An RPC worker that went away mid-load ends this process inside ggml.
            endpoints = [worker.endpoint for worker in plan.workers]
            reason = describe_rpc_exit(name, endpoints, bytes(abort_message.value) if abort_message else b"")
            if reason is None:
                raise
            raise reason.error(ModelLoadFailed) from None
        except BaseException:
            process.kill()
            process.join(SHUTDOWN_S)
            conn.close()
            raise
        return WorkerModel(name, process, conn, cancel_flags, ready, plan, abort_message)

    @staticmethod
    def _wait_ready(
        name: str,
        process: Any,
        conn: Connection,
        on_progress: ProgressCallback | None,
        token: CancelToken | None,
    ) -> WorkerReady:
        while True:
            if token is not None and token.cancelled:
                raise Cancelled(N_("loading {name} was cancelled"), name=name)
            if not conn.poll(POLL_S):
                if not process.is_alive():
                    raise describe_exit(name, process.exitcode).error(ModelLoadFailed)
                continue
            try:
                message = conn.recv()
            except (EOFError, OSError):
                process.join(1.0)
                raise describe_exit(name, process.exitcode).error(ModelLoadFailed) from None
            if isinstance(message, WorkerLoadProgress):
                if on_progress is not None:
                    on_progress(message.progress)
            elif isinstance(message, WorkerReady):
                return message
            elif isinstance(message, WorkerLoadFailed):
                raise ModelLoadFailed(message.message)
