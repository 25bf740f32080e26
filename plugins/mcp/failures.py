"""Why a server could not be reached, in one phrase a user can act on.

The SDK's errors come wrapped in exception groups (its task groups) and speak of
JSON-RPC codes; the user wants "cannot run 'npx': no such program" or "it answered
HTTP 401". Secrets never appear: URLs are masked, env and header values scrubbed.
"""

from __future__ import annotations

import os
from http import HTTPStatus
from pathlib import Path

import httpx2
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import CONNECTION_CLOSED
from pydantic import ValidationError

from .masking import mask_url, scrub
from .settings import McpServer

TAIL_LINES = 3
TAIL_CHARS = 300


def describe_failure(exc: BaseException, server: McpServer, http_status: int | None) -> str:
    leaf = _innermost(exc)
    reason = _reason(leaf, server, http_status)
    return scrub(reason, list(server.env.values()) + list(server.headers.values()))


def _reason(exc: BaseException, server: McpServer, http_status: int | None) -> str:
    where = mask_url(server.url) or ""
    if http_status is not None and http_status >= 400:
        try:
            phrase = HTTPStatus(http_status).phrase
        except ValueError:
            phrase = "error"
        return f"{where} answered HTTP {http_status} ({phrase})"
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        cwd = os.path.expanduser(server.cwd) if server.cwd else None
        if cwd and not os.path.isdir(cwd):
            return f"its folder {server.cwd} does not exist"
        return f"cannot run {server.command!r}: no such program"
    if isinstance(exc, PermissionError):
        return f"cannot run {server.command!r}: permission denied"
    if isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout):
        return f"cannot reach {where}"
    if isinstance(exc, httpx2.TimeoutException):
        return f"{where} did not answer in time"
    if isinstance(exc, httpx2.HTTPError):
        return f"{where}: {exc}"
    if isinstance(exc, MCPError):
        if exc.code == CONNECTION_CLOSED:
            return "it closed the connection"
        return f"it answered with an error: {exc.message}"
    if isinstance(exc, ValidationError):
        return f"it sent something that does not follow the protocol ({exc.error_count()} problems)"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _innermost(exc: BaseException) -> BaseException:
    """The first real cause inside nested exception groups (task groups wrap everything)."""
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


def log_tail(path: Path) -> str:
    """The last lines a server wrote to its stderr log, in one line."""
    try:
        with path.open("rb") as file:
            file.seek(0, os.SEEK_END)
            size = file.tell()
            file.seek(max(0, size - 4096))
            data = file.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in data.splitlines() if line.strip()]
    tail = " / ".join(lines[-TAIL_LINES:])
    return tail if len(tail) <= TAIL_CHARS else "…" + tail[-TAIL_CHARS:]
