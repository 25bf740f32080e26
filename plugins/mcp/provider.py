"""An MCP server as the app's tool provider (core/interfaces/tool_provider.py)."""

from __future__ import annotations

import logging
from typing import Any

from llamadesk.core.errors import N_, LlamadeskError, ToolFailed
from llamadesk.core.models.tools import ToolReply, ToolSpec
from llamadesk.core.streaming import CancelToken

from .connections import McpConnections
from .settings import McpServer

log = logging.getLogger(__name__)


class McpToolProvider:
    """One enabled server. Cheap to make: the app asks for providers at every listing."""

    def __init__(self, server: McpServer, connections: McpConnections) -> None:
        self._server = server
        self._connections = connections

    @property
    def name(self) -> str:
        return self._server.name

    @property
    def trusted(self) -> bool:
        return self._server.trusted

    def _allowed(self, tool: str) -> bool:
        return not self._server.allowed_tools or tool in self._server.allowed_tools

    def tools(self) -> list[ToolSpec]:
        try:
            status = self._connections.listing(self._server)
        except LlamadeskError as exc:  # the app is stopping: nothing to offer
            log.info("MCP server %s: no tools: %s", self.name, exc.message)
            return []
        return [tool for tool in status.tools if self._allowed(tool.name)]

    def call(self, tool: str, arguments: dict[str, Any], token: CancelToken, timeout: float) -> ToolReply:
        if not self._allowed(tool):
            raise ToolFailed(
                N_("The tool {tool!r} of MCP server {name!r} is not allowed (see its allowed_tools)."),
                tool=tool,
                name=self.name,
            )
        listed = self._connections.status(self._server)
        if listed.listed and tool not in {spec.name for spec in listed.tools}:
            raise ToolFailed(N_("The MCP server {name!r} has no tool {tool!r}."), name=self.name, tool=tool)
        limit = min(timeout, self._connections.settings().call_timeout_seconds)
        return self._connections.call(self._server, tool, arguments, token, limit)

    def __repr__(self) -> str:
        return f"McpToolProvider({self.name!r})"
