"""The local API server (OpenAI, Ollama and Anthropic dialects): `server.start`, `server.stop`,
`server.status`.

`llamadesk serve` and the Settings toggle call these commands. The server reaches the
rest of the app only through the command table, like the UI.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from llamadesk.core.commands import CommandContext, CommandSpec
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.interfaces.plugin_context import PluginContext
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.server import ServerStartParams, ServerStatus
from llamadesk.core.models.settings import SettingsSection

from .settings import SECTION, ServerSettings

if TYPE_CHECKING:
    from .server import ApiServer

# One server per app (tests build several apps in one process), made on first use:
# FastAPI and uvicorn take most of a second to import, which no other command should pay.
_servers: weakref.WeakKeyDictionary[PluginContext, ApiServer] = weakref.WeakKeyDictionary()


def _server_for(context: PluginContext) -> ApiServer:
    from .server import ApiServer

    server = _servers.get(context)
    if server is None:
        server = ApiServer(
            context.commands, lambda: context.app_settings, lambda: context.settings(ServerSettings)
        )
        _servers[context] = server
    return server


@hookimpl(trylast=True)
def register_settings() -> SettingsSection:
    return SECTION


@hookimpl(trylast=True)
def register_commands(context: PluginContext) -> list[CommandSpec]:
    def start(params: ServerStartParams, ctx: CommandContext) -> ServerStatus:
        settings = context.settings(ServerSettings)
        return _server_for(context).start(
            host=params.host or settings.host,
            port=settings.port if params.port is None else params.port,
            api_key=params.api_key or settings.api_key,
        )

    def stop(params: Empty, ctx: CommandContext) -> ServerStatus:
        server = _servers.get(context)
        return server.stop() if server else ServerStatus(running=False)

    def status(params: Empty, ctx: CommandContext) -> ServerStatus:
        server = _servers.get(context)
        return server.status() if server else ServerStatus(running=False)

    return [
        CommandSpec(
            id="server.start",
            title="Start API server",
            description="Serve the app's models over an OpenAI-compatible HTTP API. Listening on "
            "anything but loopback needs an API key.",
            params=ServerStartParams,
            result=ServerStatus,
            handler=start,
        ),
        CommandSpec(
            id="server.stop",
            title="Stop API server",
            description="Stop the API server; running generations of its clients are cancelled.",
            params=Empty,
            result=ServerStatus,
            handler=stop,
        ),
        CommandSpec(
            id="server.status",
            title="API server status",
            description="Whether the API server runs, its URL, and how many requests generate or wait.",
            params=Empty,
            result=ServerStatus,
            handler=status,
        ),
    ]


@hookimpl(trylast=True)
def app_stopping(context: PluginContext) -> None:
    server = _servers.pop(context, None)
    if server is not None:
        server.stop()
