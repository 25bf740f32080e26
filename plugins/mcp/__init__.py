"""MCP: tools from Model Context Protocol servers in chats (`mcp.*` commands), and llamadesk
itself as an MCP server (`llamadesk mcp serve`).

Each enabled server in the `mcp.servers` setting is one tool provider; its connection is
made when a chat first asks for tools (or by `mcp.connect`), kept in one background event
loop, and closed when the app stops.
"""

from __future__ import annotations

import threading
import weakref

from llamadesk.core.commands import CommandSpec
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.interfaces.plugin_context import PluginContext
from llamadesk.core.interfaces.tool_provider import ToolProvider
from llamadesk.core.models.settings import SettingsSection

from .commands import mcp_commands
from .connections import McpConnections
from .provider import McpToolProvider
from .settings import SECTION

_connections: weakref.WeakKeyDictionary[PluginContext, McpConnections] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def connections_for(context: PluginContext) -> McpConnections:
    with _lock:
        found = _connections.get(context)
        if found is None:
            found = _connections[context] = McpConnections(context)
        return found


@hookimpl(trylast=True)
def register_settings() -> SettingsSection:
    return SECTION


@hookimpl(trylast=True)
def register_commands(context: PluginContext) -> list[CommandSpec]:
    return mcp_commands(context, connections_for(context))


@hookimpl
def register_tool_providers(context: PluginContext) -> list[ToolProvider]:
    connections = connections_for(context)
    return [McpToolProvider(server, connections) for server in connections.servers() if server.enabled]


@hookimpl
def app_stopping(context: PluginContext) -> None:
    with _lock:
        found = _connections.pop(context, None)
    if found is not None:
        found.close()
