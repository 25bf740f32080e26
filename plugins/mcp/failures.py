"""Why a server could not be reached, in one phrase a user can act on (a `Reason`: a
template the window translates, and its values).

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

from llamadesk.core.errors import N_

from .masking import mask_url, scrub
from .reasons import Reason, failure
from .settings import McpServer

TAIL_LINES = 3
TAIL_CHARS = 300


def describe_failure(exc: BaseException, server: McpServer, http_status: int | None) -> Reason:
    found = _reason(_innermost(exc), server, http_status)
    secrets = list(server.env.values()) + list(server.headers.values())
    return Reason(
        found.template,
        {
            key: scrub(value, secrets) if isinstance(value, str) else value
            for key, value in found.values.items()
        },
    )


def _reason(exc: BaseException, server: McpServer, http_status: int | None) -> Reason:
    where = mask_url(server.url) or ""
    if http_status is not None and http_status >= 400:
        try:
            phrase = HTTPStatus(http_status).phrase
        except ValueError:
            phrase = "error"
        return failure(
            N_("{where} answered HTTP {status} ({phrase})"), where=where, status=http_status, phrase=phrase
        )
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        cwd = os.path.expanduser(server.cwd) if server.cwd else None
        if cwd and not os.path.isdir(cwd):
            return failure(N_("its folder {cwd} does not exist"), cwd=server.cwd)
        return failure(N_("cannot run {command!r}: no such program"), command=server.command)
    if isinstance(exc, PermissionError):
        return failure(N_("cannot run {command!r}: permission denied"), command=server.command)
    if isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout):
        return failure(N_("cannot reach {where}"), where=where)
    if isinstance(exc, httpx2.TimeoutException):
        return failure(N_("{where} did not answer in time"), where=where)
    if isinstance(exc, httpx2.HTTPError):
        return failure(N_("{where}: {error}"), where=where, error=str(exc))
    if isinstance(exc, MCPError):
        if exc.code == CONNECTION_CLOSED:
            return failure(N_("it closed the connection"))
        return failure(N_("it answered with an error: {error}"), error=exc.message)
    if isinstance(exc, ValidationError):
        return failure(
            N_("it sent something that does not follow the protocol ({count} problems)"),
            count=exc.error_count(),
        )
    if isinstance(exc, OSError):
        return failure(N_("{error}"), error=exc.strerror or str(exc))
    text = str(exc).strip()
    if text:
        return failure(N_("{kind}: {error}"), kind=type(exc).__name__, error=text)
    return failure(N_("{kind}"), kind=type(exc).__name__)


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
