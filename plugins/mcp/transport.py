"""A server's transport (a stdio process, or streamable HTTP with its headers) whose read
side reports when the server is gone: the session itself would only fail the calls in
flight, and the connection must know to start a new one."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

import anyio
import httpx2
from mcp import StdioServerParameters
from mcp.client._transport import ReadStream, TransportStreams
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.message import SessionMessage

from .settings import McpServer

HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)  # the SDK's: an event stream may stay quiet for long


@asynccontextmanager
async def open_transport(
    server: McpServer, errlog: TextIO | None, on_end: Callable[[], None], on_http_error: Callable[[int], None]
) -> AsyncIterator[TransportStreams]:
    """The server's transport, whose read side reports when the server is gone."""
    if server.transport == "http":
        assert server.url is not None

        async def note_status(response: httpx2.Response) -> None:
            if response.status_code >= 400:
                on_http_error(response.status_code)

        hooks = {"response": [note_status]}
        async with (
            httpx2.AsyncClient(headers=server.headers, timeout=HTTP_TIMEOUT, event_hooks=hooks) as http,
            streamable_http_client(server.url, http_client=http) as (read, write),
        ):
            yield _EndWatchingStream(read, on_end), write
        return
    assert server.command is not None
    params = StdioServerParameters(
        command=server.command,
        args=server.args,
        env=server.env or None,
        cwd=Path(server.cwd).expanduser() if server.cwd else None,
        encoding_error_handler="replace",
    )
    # The SDK takes any file with a descriptor; without a log, the app's own stderr.
    async with stdio_client(params, errlog=errlog or sys.stderr) as (read, write):
        yield _EndWatchingStream(read, on_end), write


class _EndWatchingStream:
    """A transport's read stream that calls `on_end` when it ends: the server exited or
    closed the connection. The session itself would only fail the calls in flight."""

    def __init__(self, inner: ReadStream[SessionMessage | Exception], on_end: Callable[[], None]) -> None:
        self._inner = inner
        self._on_end = on_end

    @property
    def last_context(self) -> Any:  # the SDK reads the sender's context from it, when there is one
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> SessionMessage | Exception:
        try:
            return await self._inner.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._on_end()
            raise

    def __aiter__(self) -> _EndWatchingStream:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _EndWatchingStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
