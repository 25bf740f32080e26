"""Every configured server's connection, for one app: what threads call.

Connections are made lazily, one per enabled server, when a chat first asks for tools
or a command needs one; they live in one event loop thread (loop.py). A settings change
closes the connections of servers removed, disabled or reconfigured. `close()` ends
them all, processes included; the app calls it when it stops.

The SDK is imported only when a first connection is made: an app start that never
touches MCP does not pay for it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from llamadesk.core.errors import N_, AlreadyExists, Cancelled, NotFound, ToolTimeout, Unavailable
from llamadesk.core.interfaces.plugin_context import PluginContext
from llamadesk.core.models.mcp import McpResourceInfo
from llamadesk.core.models.tools import ToolReply
from llamadesk.core.streaming import CancelToken

from .loop import LoopThread
from .settings import McpServer, McpSettings
from .status import DISABLED, NOT_CONNECTED, ConnectionState, ConnectionStatus

if TYPE_CHECKING:
    from .connection import ServerConnection

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_LISTING_WAIT_SECONDS = 10.0  # a chat's first answer waits this long for a starting server's tools
GRACE_SECONDS = 5.0  # beyond a limit the loop enforces itself: only a wedged loop runs past it
STOP_SECONDS = 15.0  # closing every session: the SDK gives a process 2 s, then 2 s after SIGTERM


class McpConnections:
    def __init__(self, context: PluginContext) -> None:
        self._context = context
        self._loop = LoopThread("llamadesk-mcp")
        self._lock = threading.Lock()
        self.editing = threading.Lock()  # held while a command reads, changes and saves the servers
        self._connections: dict[str, ServerConnection] = {}  # by lower-cased name
        self._retiring: set[concurrent.futures.Future[None]] = set()
        self._closed = False
        self._unsubscribe = context.on_settings_changed(self._reconcile)

    # --- settings ---------------------------------------------------------------------

    def settings(self) -> McpSettings:
        return self._context.settings(McpSettings)

    def servers(self) -> list[McpServer]:
        return list(self.settings().servers)

    def get(self, name: str) -> McpServer:
        server = self.settings().find(name)
        if server is None:
            raise NotFound(N_("no MCP server named {name!r}; see `llamadesk mcp list`"), name=name)
        return server

    def ensure_new(self, name: str) -> None:
        if self.settings().find(name) is not None:
            raise AlreadyExists(N_("an MCP server named {name!r} exists; remove it first"), name=name)

    def save(self, servers: list[McpServer]) -> None:
        self._context.update_settings(McpSettings, {"servers": [s.model_dump(mode="json") for s in servers]})

    # --- status, without connecting ----------------------------------------------------

    def status(self, server: McpServer) -> ConnectionStatus:
        if not server.enabled:
            return DISABLED
        with self._lock:
            connection = self._connections.get(server.name.lower())
        if connection is None or connection.key != server.connection_key():
            return NOT_CONNECTED
        return connection.status

    # --- connections ------------------------------------------------------------------

    def connection(self, server: McpServer) -> ServerConnection:
        from .connection import ServerConnection  # the SDK, at first need

        with self._lock:
            if self._closed:
                raise Unavailable(N_("the app is stopping; MCP servers are closed"))
            key = server.name.lower()
            current = self._connections.get(key)
            if current is not None and current.key == server.connection_key():
                current.server = server
                return current
            if current is not None:
                self._retire(current)
            created = ServerConnection(server, self._log_path(server), self._connect_timeout)
            self._connections[key] = created
            return created

    def adopt(self, connection: ServerConnection) -> None:
        """Keep a connection made before its server was saved (`mcp.add` checks first)."""
        with self._lock:
            key = connection.name.lower()
            if self._closed or key in self._connections:
                self._retire(connection)
            else:
                self._connections[key] = connection

    def detached(self, server: McpServer) -> ServerConnection:
        from .connection import ServerConnection

        return ServerConnection(server, self._log_path(server), self._connect_timeout)

    def listing(self, server: McpServer) -> ConnectionStatus:
        """The server's tools as last listed. The first time, the connection starts and
        this waits a little for it, so the first answer of a chat can already use them."""
        connection = self.connection(server)
        status = connection.status
        if status.state is ConnectionState.NOT_CONNECTED and not status.listed:
            attempt = self._loop.submit(connection.connect())
            # Still starting after that: its tools are offered once it is up.
            with contextlib.suppress(concurrent.futures.TimeoutError):
                attempt.result(min(FIRST_LISTING_WAIT_SECONDS, self._connect_timeout() + GRACE_SECONDS))
            status = connection.status
        return status

    def connect(self, server: McpServer, *, again: bool = False) -> ConnectionStatus:
        connection = self.connection(server)
        if again:  # closing the old session first may take a process's grace period
            return self.run(connection.reconnect(), self._connect_timeout() + STOP_SECONDS)
        return self.run(connection.connect(), self._connect_timeout())

    def probe(self, connection: ServerConnection) -> ConnectionStatus:
        return self.run(connection.connect(), self._connect_timeout())

    def call(
        self, server: McpServer, tool: str, arguments: dict[str, Any], token: CancelToken, timeout: float
    ) -> ToolReply:
        if token.cancelled:
            raise Cancelled(N_("the call to {tool!r} was cancelled"), tool=tool)
        connection = self.connection(server)
        future = self._loop.submit(connection.call_tool(tool, arguments, timeout))

        def cancel() -> None:
            future.cancel()  # cancels the call's task in the loop

        unlink = token.on_cancel(cancel)
        try:
            return future.result(timeout + GRACE_SECONDS)
        except concurrent.futures.CancelledError:
            raise Cancelled(
                N_("the call to {tool!r} of MCP server {name!r} was cancelled"), tool=tool, name=server.name
            ) from None
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ToolTimeout(
                N_("The tool {tool!r} of MCP server {name!r} did not answer within {timeout:g} s."),
                tool=tool,
                name=server.name,
                timeout=timeout,
            ) from None
        finally:
            unlink()

    def resources(self, server: McpServer) -> list[McpResourceInfo]:
        connection = self.connection(server)
        timeout = self.settings().call_timeout_seconds
        return self.run(connection.list_resources(timeout), timeout)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run `coroutine` in the loop and wait for it (its own limits come first)."""
        future = self._loop.submit(coroutine)
        try:
            return future.result(timeout + GRACE_SECONDS)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise Unavailable(
                N_("the MCP event loop did not answer within {timeout:g} s"), timeout=timeout
            ) from None

    def retire(self, connection: ServerConnection) -> None:
        with self._lock:
            self._retire(connection)

    def _retire(self, connection: ServerConnection) -> None:
        """Close a connection in the background (its process takes a moment to end)."""
        if not self._loop.started:
            return
        future = self._loop.submit(connection.stop())
        self._retiring.add(future)
        future.add_done_callback(self._retiring.discard)

    def _reconcile(self) -> None:
        """Settings changed: close what was removed, disabled or pointed elsewhere."""
        wanted = {s.name.lower(): s for s in self.servers() if s.enabled}
        with self._lock:
            for key, connection in list(self._connections.items()):
                server = wanted.get(key)
                if server is None or server.connection_key() != connection.key:
                    del self._connections[key]
                    self._retire(connection)
                else:
                    connection.server = server

    def close(self) -> None:
        """End every session and process, then the loop. Called when the app stops."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            connections = list(self._connections.values())
            self._connections.clear()
            retiring = list(self._retiring)
        self._unsubscribe()
        if not self._loop.started:
            return
        stopping = self._loop.submit(_stop_all(connections))
        try:
            concurrent.futures.wait([stopping, *retiring], timeout=STOP_SECONDS)
        finally:
            self._loop.stop(GRACE_SECONDS)

    def _connect_timeout(self) -> float:
        return self.settings().connect_timeout_seconds

    def _log_path(self, server: McpServer) -> Any:
        return self._context.paths.logs_dir / "mcp" / f"{server.name}.log"


async def _stop_all(connections: list[ServerConnection]) -> None:
    await asyncio.gather(*(connection.stop() for connection in connections), return_exceptions=True)
