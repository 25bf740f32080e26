"""system.* and plugins.* commands: what is running, and a streaming demo for clients."""

from __future__ import annotations

from collections.abc import Callable

from ..models.commands import Empty, ProgressEvent
from ..models.system import PluginList, SystemInfo, SystemMetrics, TickerParams, TickerResult
from .context import CommandContext
from .spec import CommandSpec


def system_commands(
    info: Callable[[], SystemInfo], plugins: Callable[[], PluginList], metrics: Callable[[], SystemMetrics]
) -> list[CommandSpec]:
    def ticker(params: TickerParams, ctx: CommandContext) -> TickerResult:
        ticks = 0
        for ticks in range(1, params.count + 1):
            ctx.emit(ProgressEvent(done=ticks, total=params.count, message=f"tick {ticks}"))
            if ctx.token.wait(params.interval):
                return TickerResult(ticks=ticks, cancelled=True)
        return TickerResult(ticks=ticks, cancelled=False)

    return [
        CommandSpec(
            id="system.info",
            title="About this app",
            description="Version, folders in use, and notices for the user.",
            params=Empty,
            result=SystemInfo,
            handler=lambda params, ctx: info(),
        ),
        CommandSpec(
            id="plugins.list",
            title="Plugins",
            description="Loaded plugins with their hooks, and plugins that failed and were disabled.",
            params=Empty,
            result=PluginList,
            handler=lambda params, ctx: plugins(),
        ),
        CommandSpec(
            id="system.metrics",
            title="Resource use",
            description="CPU, the app's and each model worker's memory, the last generation's speed, "
            "and NVIDIA GPUs' use and memory when NVIDIA's management library is installed.",
            params=Empty,
            result=SystemMetrics,
            handler=lambda params, ctx: metrics(),
        ),
        CommandSpec(
            id="system.ticker",
            title="Ticker",
            description="Emit progress events at an interval until done or cancelled; "
            "a reference for clients that stream and cancel.",
            params=TickerParams,
            result=TickerResult,
            handler=ticker,
            streaming=True,
        ),
    ]
