"""One MCP server's session, kept open in the plugin's event loop.

A connection runs as one task (`_Run`) that opens the transport (a stdio process or
streamable HTTP), does the handshake, lists the tools, then waits until it is stopped or
the server goes away; leaving it closes the session and ends the process (the SDK
closes its input, then terminates and kills its process group). Calls run as tasks of
their own on the open session, so a slow tool holds up nothing else.

A server that cannot start, exits, or stops answering only fails its own connection,
with the reason in words; the next use starts a new one. Everything here runs in the
loop thread; other threads read `status`, an immutable snapshot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import anyio
import mcp_types as types
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import CONNECTION_CLOSED, REQUEST_TIMEOUT
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError

from llamadesk.core import __version__
from llamadesk.core.errors import N_, ToolFailed, ToolTimeout
from llamadesk.core.models.mcp import McpResourceInfo
from llamadesk.core.models.tools import ToolReply

from .failures import describe_failure, log_tail
from .masking import scrub
from .reasons import Reason, failure
from .replies import reply_of, tool_spec
from .settings import McpServer
from .status import NOT_CONNECTED, ConnectionState, ConnectionStatus
from .transport import open_transport

log = logging.getLogger(__name__)

MAX_PAGES = 100  # a server whose listing never ends cannot hang a connect


@dataclass(eq=False)
class _Run:
    """One attempt to hold a session: from starting the server to closing it."""

    attempt: asyncio.Future[None]  # settles once connected, or once the attempt failed
    wake: asyncio.Event  # stop() or a lost server: leave the session
    task: asyncio.Task[None] | None = None
    scope: anyio.CancelScope | None = None
    client: Client | None = None
    stopping: bool = False
    ended: bool = False  # the transport's read side ended: a stdio server exited
    lost: Reason | None = None  # why a call gave the session up
    http_status: int | None = None  # the last HTTP error status, to name it in a failure
    relisting: bool = False
    background: set[asyncio.Task[None]] = field(default_factory=set)


class ServerConnection:
    def __init__(self, server: McpServer, log_path: Path, connect_timeout: Callable[[], float]) -> None:
        self.server = server  # replaced when allowed_tools/trusted change; the key never does
        self.key = server.connection_key()
        self._log_path = log_path
        self._connect_timeout = connect_timeout
        self._status = NOT_CONNECTED
        self._run: _Run | None = None

    @property
    def name(self) -> str:
        return self.server.name

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    def _set(self, state: ConnectionState, reason: Reason | None = None, **changes: Any) -> None:
        previous = self._status
        said = ""
        if reason is not None and self.server.transport == "stdio":  # its stderr's last lines say why
            said = scrub(log_tail(self._log_path), list(self.server.env.values()))
        error = None if reason is None else f"{reason} (it said: {said})" if said else str(reason)
        values: dict[str, Any] = {
            "tools": previous.tools,
            "listed": previous.listed,
            "server_info": previous.server_info,
            **changes,
        }
        self._status = ConnectionStatus(state=state, error=error, reason=reason, said=said, **values)
        if state is ConnectionState.FAILED:
            log.info("MCP server %s failed: %s", self.name, error)

    # --- in the loop ------------------------------------------------------------------

    async def connect(self) -> ConnectionStatus:
        """Connect unless connected; wait for the attempt. Never raises: the status tells."""
        for _ in range(3):
            run = self._run
            if run is not None and run.client is not None:
                return self._status
            if run is None or run.task is None or run.task.done():
                run = self._start()
            elif run.attempt.done():  # the session is closing (the server went away): let it
                await asyncio.shield(run.task)
                continue
            await asyncio.shield(run.attempt)
            return self._status
        return self._status

    async def reconnect(self) -> ConnectionStatus:
        await self.stop()
        return await self.connect()

    async def stop(self) -> None:
        """Close the session (and end the process); waits until it is closed."""
        run = self._run
        if run is None or run.task is None or run.task.done():
            return
        run.stopping = True
        run.wake.set()
        if run.client is None and run.scope is not None:
            run.scope.cancel()  # still starting: give up on it
        await asyncio.shield(run.task)

    def _start(self) -> _Run:
        loop = asyncio.get_running_loop()
        run = _Run(attempt=loop.create_future(), wake=asyncio.Event())
        self._run = run
        self._set(ConnectionState.CONNECTING)
        run.task = loop.create_task(self._hold(run), name=f"mcp-{self.name}")
        return run

    async def _hold(self, run: _Run) -> None:
        timeout = self._connect_timeout()
        timed_out = False
        connected = False
        error: Reason | None = None
        loop = asyncio.get_running_loop()
        errlog = self._open_log()
        try:
            with anyio.CancelScope() as scope:
                run.scope = scope
                if run.stopping:  # stopped before this task first ran
                    scope.cancel()

                def give_up() -> None:
                    nonlocal timed_out
                    timed_out = True
                    scope.cancel()

                timer = loop.call_later(timeout, give_up)
                try:
                    async with self._client(run, errlog) as client:
                        tools = await _list_tools(client)
                        timer.cancel()
                        run.client, connected = client, True
                        info = client.server_info
                        self._set(
                            ConnectionState.CONNECTED,
                            tools=tuple(tool_spec(tool) for tool in tools),
                            listed=True,
                            server_info=f"{info.name} {info.version}".strip() if info else None,
                        )
                        if not run.attempt.done():
                            run.attempt.set_result(None)
                        if client.protocol_version in MODERN_PROTOCOL_VERSIONS:
                            self._background(run, self._follow_changes(run, client))
                        await run.wake.wait()
                        run.client = None
                        for task in run.background:
                            task.cancel()
                finally:
                    timer.cancel()
                    run.client = None
        except Exception as exc:
            # An HTTP status names a failed start (401, 404); once connected it is old news.
            error = describe_failure(exc, self.server, None if connected else run.http_status)
        finally:
            if errlog is not None:
                errlog.close()
        if run.stopping:
            self._set(ConnectionState.NOT_CONNECTED)
        elif timed_out and not connected:
            silent = failure(N_("it did not answer within {timeout:g} s"), timeout=timeout)
            self._set(ConnectionState.FAILED, silent)
        else:
            if run.ended and self.server.transport == "stdio":
                error = failure(N_("it exited"))  # its output ended: the process is gone
            self._set(ConnectionState.FAILED, error or run.lost or failure(N_("it closed the connection")))
        if not run.attempt.done():
            run.attempt.set_result(None)

    def _open_log(self) -> TextIO | None:
        """The server's stderr goes to a log file (kept from its last start): its last
        lines explain a failure, and nothing it prints reaches the app's own output."""
        if self.server.transport != "stdio":
            return None
        try:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            return self._log_path.open("w", encoding="utf-8", errors="replace")
        except OSError as exc:
            log.warning("cannot write %s: %s", self._log_path, exc)
            return None

    def _client(self, run: _Run, errlog: TextIO | None) -> Client:
        def ended() -> None:
            if not run.stopping and not run.ended:
                run.ended = True
                log.info("MCP server %s closed the connection", self.name)
            run.wake.set()

        def http_error(status: int) -> None:
            run.http_status = status

        return Client(
            open_transport(self.server, errlog, ended, http_error),
            mode="auto",
            client_info=types.Implementation(name="llamadesk", version=__version__),
            log_level="warning",
            logging_callback=self._on_log,
            message_handler=lambda message: self._on_message(run, message),
        )

    async def _on_log(self, params: types.LoggingMessageNotificationParams) -> None:
        log.debug("MCP server %s: %s %s", self.name, params.level, params.data)

    async def _on_message(self, run: _Run, message: types.ServerNotification | Exception) -> None:
        if isinstance(message, Exception):
            log.warning("MCP server %s sent something unreadable: %s", self.name, message)
        elif isinstance(message, types.ToolListChangedNotification) and not run.relisting:
            self._background(run, self._relist(run))  # a server before 2026-07-28 just says so

    @staticmethod
    def _background(run: _Run, work: Coroutine[Any, Any, None]) -> None:
        """Work that lives as long as the session (cancelled when it closes)."""
        task = asyncio.get_running_loop().create_task(work)
        run.background.add(task)
        task.add_done_callback(run.background.discard)

    async def _follow_changes(self, run: _Run, client: Client) -> None:
        """Since 2026-07-28 a client asks to hear that the tools changed; a server that
        cannot tell is simply not followed (`mcp.connect` lists them again)."""
        try:
            async with client.listen(tools_list_changed=True) as changes:
                async for _change in changes:
                    await self._relist(run)
        except Exception as exc:
            log.debug("MCP server %s: not following its tool changes: %s", self.name, exc)

    async def _relist(self, run: _Run) -> None:
        """The server said its tools changed: list them again (one listing at a time)."""
        run.relisting = True
        try:
            client = run.client
            if client is not None:
                with anyio.move_on_after(self._connect_timeout()):
                    tools = await _list_tools(client)
                    if run.client is client:
                        specs = tuple(tool_spec(tool) for tool in tools)
                        self._set(ConnectionState.CONNECTED, tools=specs, listed=True)
        except Exception as exc:
            log.warning("MCP server %s: listing its changed tools failed: %s", self.name, exc)
        finally:
            run.relisting = False

    async def _connected(self) -> Client:
        await self.connect()
        run = self._run
        if run is None or run.client is None:
            reason = self._status.error or self._status.words
            raise ToolFailed(
                N_("The MCP server {name!r} is not available: {reason}."), name=self.name, reason=reason
            )
        return run.client

    async def call_tool(self, tool: str, arguments: dict[str, Any], timeout: float) -> ToolReply:
        with anyio.move_on_after(timeout):
            client = await self._connected()
            try:
                result = await client.call_tool(tool, arguments, progress_callback=_ignore_progress)
            except MCPError as exc:
                raise self._call_error(tool, exc, timeout) from None
            except ValidationError as exc:
                raise ToolFailed(
                    N_(
                        "The MCP server {name!r} answered {tool!r} with a result that does not follow the "
                        "protocol ({error_count} problems)."
                    ),
                    name=self.name,
                    tool=tool,
                    error_count=exc.error_count(),
                ) from None
            except Exception as exc:
                reason = describe_failure(exc, self.server, None)
                self._lose(failure(N_("a call failed: {reason}"), reason=str(reason)))
                raise ToolFailed(
                    N_("The call to {tool!r} of MCP server {name!r} failed: {reason}."),
                    tool=tool,
                    name=self.name,
                    reason=str(reason),
                ) from None
            return reply_of(result)
        raise ToolTimeout(
            N_("The tool {tool!r} of MCP server {name!r} did not answer within {timeout:g} s."),
            tool=tool,
            name=self.name,
            timeout=timeout,
        )

    def _call_error(self, tool: str, exc: MCPError, timeout: float) -> ToolFailed:
        if exc.code == CONNECTION_CLOSED:
            self._lose(failure(N_("it closed the connection during a call")))
            if self.server.transport == "http":
                return ToolFailed(
                    N_(
                        "The connection to MCP server {name!r} was lost during the call to {tool!r}; it is "
                        "made again on the next call."
                    ),
                    name=self.name,
                    tool=tool,
                )
            return ToolFailed(
                N_(
                    "The MCP server {name!r} stopped during the call to {tool!r} (it crashed or exited); "
                    "it is started again on the next call."
                ),
                name=self.name,
                tool=tool,
            )
        if exc.code == REQUEST_TIMEOUT:
            return ToolTimeout(
                N_("The tool {tool!r} of MCP server {name!r} did not answer within {timeout:g} s."),
                tool=tool,
                name=self.name,
                timeout=timeout,
            )
        message = scrub(exc.message, list(self.server.headers.values()) + list(self.server.env.values()))
        return ToolFailed(
            N_("The MCP server {name!r} refused the call to {tool!r}: {reason}"),
            name=self.name,
            tool=tool,
            reason=message,
        )

    def _lose(self, reason: Reason) -> None:
        """The session is unusable: close it, so that the next call starts a new one."""
        run = self._run
        if run is not None and not run.stopping:
            run.lost = run.lost or reason
            run.wake.set()

    async def list_resources(self, timeout: float) -> list[McpResourceInfo]:
        with anyio.move_on_after(timeout):
            client = await self._connected()
            if client.server_capabilities.resources is None:
                return []
            found: list[McpResourceInfo] = []
            cursor: str | None = None
            for _ in range(MAX_PAGES):
                page = await client.list_resources(cursor=cursor, cache_mode="refresh")
                found += [
                    McpResourceInfo(
                        uri=r.uri, name=r.name, description=r.description or "", mime_type=r.mime_type
                    )
                    for r in page.resources
                ]
                cursor = page.next_cursor
                if not cursor:
                    break
            return found
        raise ToolTimeout(
            N_("The MCP server {name!r} did not list its resources within {timeout:g} s."),
            name=self.name,
            timeout=timeout,
        )


async def _ignore_progress(progress: float, total: float | None, message: str | None) -> None:
    """Asking for progress lets a server report it; nothing shows it yet."""


async def _list_tools(client: Client) -> list[types.Tool]:
    if client.server_capabilities.tools is None:
        return []
    tools: list[types.Tool] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = await client.list_tools(cursor=cursor, cache_mode="refresh")
        tools += page.tools
        cursor = page.next_cursor
        if not cursor:
            break
    return tools
