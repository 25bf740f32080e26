"""system.* and plugins.* commands: what is running, and a streaming demo for clients."""

from __future__ import annotations

import platform
import sys
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ..hookspecs import hookimpl
from ..models.commands import Empty, ProgressEvent
from ..models.plugins import PluginFailure, PluginInfo
from ..plugins import list_plugins
from .context import CommandContext
from .spec import CommandSpec

if TYPE_CHECKING:
    from ..app import App


class SystemInfo(BaseModel):
    version: str
    python: str
    platform: str
    config_dir: str
    data_dir: str
    cache_dir: str
    models_dir: str
    notices: list[str] = Field(description="Messages the user should see once.")


class PluginList(BaseModel):
    plugins: list[PluginInfo]
    failures: list[PluginFailure]


class TickerParams(BaseModel):
    count: int = Field(10, ge=0, le=100_000, description="How many ticks to emit.")
    interval: float = Field(0.05, ge=0, le=10, description="Seconds between ticks.")


class TickerResult(BaseModel):
    ticks: int = Field(description="Ticks emitted before the end or the cancel.")
    cancelled: bool


@hookimpl(tryfirst=True)  # the core's ids are registered before any plugin can take them
def register_commands(app: App) -> list[CommandSpec]:
    def info(params: Empty, ctx: CommandContext) -> SystemInfo:
        return SystemInfo(
            version=app.version,
            python=sys.version.split()[0],
            platform=platform.platform(),
            config_dir=str(app.paths.config_dir),
            data_dir=str(app.paths.data_dir),
            cache_dir=str(app.paths.cache_dir),
            models_dir=str(app.models_dir),
            notices=app.notices,
        )

    def plugins(params: Empty, ctx: CommandContext) -> PluginList:
        return PluginList(plugins=list_plugins(app.pm), failures=list(app.pm.failures))

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
            handler=info,
        ),
        CommandSpec(
            id="plugins.list",
            title="Plugins",
            description="Loaded plugins with their hooks, and plugins that failed and were disabled.",
            params=Empty,
            result=PluginList,
            handler=plugins,
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
