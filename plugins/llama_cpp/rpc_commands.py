"""rpc.* commands: the list of RPC workers (the `rpc_workers` setting), and serving this
machine as one (`rpc.serve`, which `llamadesk rpc-worker` runs)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from llamadesk.core.commands import CommandContext, CommandSpec
from llamadesk.core.errors import N_, AlreadyExists, NotFound, Unavailable
from llamadesk.core.interfaces.plugin_context import PluginContext
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.rpc import (
    RpcAddParams,
    RpcEndpointParams,
    RpcServeParams,
    RpcServeResult,
    RpcWorkerInfo,
    RpcWorkerList,
    RpcWorkerState,
)

from .rpc_probe import probe
from .rpc_server import RpcServer
from .settings import LlamaCppSettings


def rpc_commands(context: PluginContext) -> list[CommandSpec]:
    def workers() -> list[str]:
        return list(context.settings(LlamaCppSettings).rpc_workers)

    def add(params: RpcAddParams, ctx: CommandContext) -> RpcWorkerInfo:
        if params.endpoint in workers():
            raise AlreadyExists(N_("RPC worker {endpoint} is listed already"), endpoint=params.endpoint)
        info = RpcWorkerInfo(endpoint=params.endpoint, state=RpcWorkerState.UNCHECKED)
        if params.check:
            info = probe(params.endpoint)
            if info.state in (RpcWorkerState.DOWN, RpcWorkerState.INCOMPATIBLE):
                raise Unavailable(
                    N_(
                        "RPC worker {endpoint} is {state}: {detail} (add it anyway with check off: "
                        "`llamadesk rpc add --no-check`)"
                    ),
                    endpoint=params.endpoint,
                    state=info.state.value,
                    detail=info.detail,
                )
        context.update_settings(LlamaCppSettings, {"rpc_workers": [*workers(), params.endpoint]})
        return info

    def list_(params: Empty, ctx: CommandContext) -> RpcWorkerList:
        listed = workers()
        if not listed:
            return RpcWorkerList(workers=[])
        # Asked all at once (a worker that is off costs a timeout); probe() never raises.
        with ThreadPoolExecutor(max_workers=len(listed)) as pool:
            return RpcWorkerList(workers=list(pool.map(probe, listed)))

    def remove(params: RpcEndpointParams, ctx: CommandContext) -> RpcWorkerInfo:
        listed = workers()
        if params.endpoint not in listed:
            raise NotFound(
                N_("RPC worker {endpoint} is not listed (`llamadesk rpc list`)"), endpoint=params.endpoint
            )
        context.update_settings(
            LlamaCppSettings, {"rpc_workers": [w for w in listed if w != params.endpoint]}
        )
        return RpcWorkerInfo(endpoint=params.endpoint, state=RpcWorkerState.UNCHECKED)

    def serve(params: RpcServeParams, ctx: CommandContext) -> RpcServeResult:
        server = RpcServer(params, context.paths.cache_dir / "rpc", context.paths.logs_dir)
        return server.run(ctx)

    return [
        CommandSpec(
            id="rpc.add",
            title="Add RPC worker",
            description="List another machine's `llamadesk rpc-worker` (HOST:PORT) for models loaded with "
            "rpc on; it is asked first unless check is off.",
            params=RpcAddParams,
            result=RpcWorkerInfo,
            handler=add,
        ),
        CommandSpec(
            id="rpc.list",
            title="RPC workers",
            description="The listed RPC workers, each asked now: ready (with the memory it offers), busy, "
            "down or incompatible.",
            params=Empty,
            result=RpcWorkerList,
            handler=list_,
        ),
        CommandSpec(
            id="rpc.remove",
            title="Remove RPC worker",
            description="Take a worker off the list (models loaded across it keep running).",
            params=RpcEndpointParams,
            result=RpcWorkerInfo,
            handler=remove,
        ),
        CommandSpec(
            id="rpc.serve",
            title="Serve as RPC worker",
            description="Offer this machine's CPU or GPU memory to other machines' models through "
            "llama.cpp's RPC server, until cancelled. Streams RpcServing once it listens, then "
            "RpcClientEvent as clients come and go.",
            params=RpcServeParams,
            result=RpcServeResult,
            handler=serve,
            streaming=True,
        ),
    ]
