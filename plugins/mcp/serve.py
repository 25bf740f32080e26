"""`llamadesk mcp serve`: llamadesk itself as an MCP server over stdio.

Each command id in the `mcp.serve_commands` setting becomes an MCP tool: named after the
id with `_` for `.` (`models_list`: many clients refuse dots in tool names), described by
the command's title and description, its arguments the params model's JSON schema. A
call invokes the command through the command table and answers with its result as JSON
text; a command error is a tool error (`code: message`). A streaming command's progress
events become MCP progress notifications; cancelling the call cancels the command.

Standard output is the protocol: while serving, the SDK points file descriptor 1 at
stderr, so nothing printed by the app, a library or a child process can reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import anyio
import anyio.from_thread
import anyio.to_thread
import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_PARAMS
from pydantic import BaseModel

from llamadesk.core import __version__
from llamadesk.core.commands import CommandError, CommandTable
from llamadesk.core.models.commands import CommandInfo, ProgressEvent
from llamadesk.core.models.mcp import McpServed
from llamadesk.core.streaming import CancelToken

log = logging.getLogger(__name__)

# Command verbs that only read: their tools are marked read-only for the client's approval rules.
READ_ONLY_VERBS = {"list", "show", "get", "status", "search", "info"}
PROGRESS_INTERVAL_SECONDS = 0.25

INSTRUCTIONS = (
    "llamadesk runs local LLMs with llama.cpp. These tools are its commands: list, inspect and "
    "pull models, load one, generate text with it, and read or continue saved chats. Each tool "
    "answers with the command's result as JSON."
)


def tool_name(command_id: str) -> str:
    return command_id.replace(".", "_")


@dataclass
class _Counter:
    calls: int = 0


def serve_stdio(commands: CommandTable, command_ids: list[str], token: CancelToken) -> McpServed:
    """Serve until standard input ends (the client went away) or `token` is cancelled."""
    offered = _offered(commands, command_ids)
    counter = _Counter()
    server = _server(commands, offered, counter)
    anyio.run(_serve, server, token)
    return McpServed(tools=sorted(offered), calls=counter.calls)


def _offered(commands: CommandTable, command_ids: list[str]) -> dict[str, CommandInfo]:
    known = {info.id: info for info in commands.describe()}
    missing = [command_id for command_id in command_ids if command_id not in known]
    if missing:
        log.warning("mcp serve: no such commands, not offered: %s", ", ".join(missing))
    return {tool_name(i): known[i] for i in command_ids if i in known}


def _server(commands: CommandTable, offered: dict[str, CommandInfo], counter: _Counter) -> Server[Any]:
    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[_tool(name, info) for name, info in offered.items()])

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        info = offered.get(params.name)
        if info is None:
            raise MCPError(INVALID_PARAMS, f"unknown tool {params.name!r}; see tools/list")
        token = CancelToken()
        progress = _ProgressRelay(ctx)

        def invoke() -> BaseModel:
            return commands.invoke(info.id, params.arguments or {}, on_event=progress.on_event, token=token)

        try:
            result = await anyio.to_thread.run_sync(invoke, abandon_on_cancel=True)
        except CommandError as error:
            return types.CallToolResult(content=[_text(f"{error.code}: {error.message}")], is_error=True)
        except anyio.get_cancelled_exc_class():
            token.cancel()  # the client cancelled: so does the command
            raise
        counter.calls += 1
        return types.CallToolResult(content=[_text(result.model_dump_json(indent=2))])

    return Server(
        "llamadesk",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def _tool(name: str, info: CommandInfo) -> types.Tool:
    read_only = info.id.rsplit(".", 1)[-1] in READ_ONLY_VERBS
    return types.Tool(
        name=name,
        title=info.title,
        description=f"{info.title}: {info.description}" if info.description else info.title,
        input_schema=info.params_schema,
        annotations=types.ToolAnnotations(title=info.title, read_only_hint=read_only, destructive_hint=False),
    )


def _text(text: str) -> types.TextContent:
    return types.TextContent(type="text", text=text)


class _ProgressRelay:
    """A command's progress events as MCP progress notifications (a few a second at most).
    Called in the command's worker thread; a client that asked for no progress gets none."""

    def __init__(self, ctx: ServerRequestContext[Any]) -> None:
        self._ctx = ctx
        self._last = 0.0

    def on_event(self, event: BaseModel) -> None:
        if not isinstance(event, ProgressEvent):
            return
        now = time.monotonic()
        if now - self._last < PROGRESS_INTERVAL_SECONDS and event.done != event.total:
            return
        self._last = now
        try:
            message = event.message or None
            anyio.from_thread.run(self._ctx.session.report_progress, event.done, event.total, message)
        except Exception as exc:  # the client went away: the command's own cancel handles it
            log.debug("mcp serve: progress not sent: %s", exc)


async def _serve(server: Server[Any], token: CancelToken) -> None:
    loop = asyncio.get_running_loop()
    with anyio.CancelScope() as scope:

        def stop() -> None:
            loop.call_soon_threadsafe(scope.cancel)

        unlink = token.on_cancel(stop)
        try:
            stdin = cast("anyio.AsyncFile[str]", _StdinLines(sys.stdin.fileno()))
            async with stdio_server(stdin=stdin) as (read, write):
                await server.run(read, write, server.create_initialization_options())
        finally:
            unlink()


class _StdinLines:
    """Standard input's lines, read by a daemon thread straight from the descriptor.

    The SDK's own reader blocks in a worker thread that a cancel cannot stop, so Ctrl+C
    would wait for the next line; and a daemon thread blocked inside `sys.stdin`'s buffer
    holds its lock, which aborts the interpreter at exit. `os.read` holds neither."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()

        def put(line: str | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has ended
                loop.call_soon_threadsafe(queue.put_nowait, line)

        def read() -> None:
            pending = b""
            try:
                while chunk := os.read(self._fd, 65536):
                    *lines, pending = (pending + chunk).split(b"\n")
                    for line in lines:
                        put(line.decode("utf-8", errors="replace") + "\n")
                if pending:
                    put(pending.decode("utf-8", errors="replace"))
            except OSError as exc:
                log.debug("mcp serve: standard input: %s", exc)
            finally:
                put(None)

        threading.Thread(target=read, name="mcp-serve-stdin", daemon=True).start()
        while (line := await queue.get()) is not None:
            yield line
