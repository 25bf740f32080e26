"""Real MCP servers for the plugin's tests: the reference servers as console scripts, small
SDK-built stdio servers (toy_servers.py), and a streamable HTTP server on 127.0.0.1.

Every test runs under a hang guard: a test still running after HANG_GUARD_SECONDS dumps
every thread's stack and ends the run, so a hang is a failure with a trace, not a stall.
"""

from __future__ import annotations

import faulthandler
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from llamadesk.core import hooks
from llamadesk.core.app import App
from llamadesk.core.interfaces.tool_provider import ToolProvider
from llamadesk.core.models.tools import ToolReply
from llamadesk.core.paths import AppPaths
from llamadesk.core.streaming import CancelToken

HANG_GUARD_SECONDS = 180
TOYS = Path(__file__).with_name("toy_servers.py")
VENV_BIN = Path(sys.executable).parent
HTTP_TOKEN = "Bearer s3cret-http-token-0042"


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    faulthandler.dump_traceback_later(HANG_GUARD_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def toy(name: str, kind: str = "toys", *extra: str, **fields: Any) -> dict[str, Any]:
    """mcp.add params for a toy server, saved without the check (a test connects on purpose)."""
    return {
        "name": name,
        "command": sys.executable,
        "args": [str(TOYS), kind, *extra],
        "check": False,
        **fields,
    }


def add(app: App, params: dict[str, Any]) -> dict[str, Any]:
    return app.commands.invoke("mcp.add", params).model_dump()


def provider(app: App, name: str) -> ToolProvider:
    """The provider the app itself gets, through the register_tool_providers hook."""
    for found in hooks.collect_tool_providers(app.pm, app.context):
        if found.name == name:
            return found
    raise AssertionError(f"no tool provider {name!r}")


def call(
    target: ToolProvider,
    tool: str,
    arguments: dict[str, Any] | None = None,
    *,
    timeout: float = 60,
    token: CancelToken | None = None,
) -> ToolReply:
    return target.call(tool, arguments or {}, token or CancelToken(), timeout)


def status(app: App, name: str) -> dict[str, Any]:
    servers = app.commands.invoke("mcp.list").model_dump()["servers"]
    return next(server for server in servers if server["name"] == name)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def started_app(root: Path) -> App:
    return App(AppPaths.under(root), load_entrypoints=False).start()


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One app for tests that each add servers of their own names (fewer processes to start
    on a small machine)."""
    application = started_app(tmp_path_factory.mktemp("mcp-home"))
    yield application
    application.close()


# --- a streamable HTTP server --------------------------------------------------------


@dataclass
class HttpServer:
    url: str
    requests: list[dict[str, str]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_app(requests: list[dict[str, str]]) -> Any:
    """An SDK-built server behind a check of the Authorization header, as a hosted MCP
    server with an API key is."""
    from mcp.server.mcpserver import MCPServer
    from mcp_types import ToolAnnotations

    server = MCPServer("weather")

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def forecast(city: str) -> str:
        """Tomorrow's weather in a city."""
        return f"Sunny in {city}, 21 °C"

    @server.tool()
    def echo(text: str) -> str:
        """Return the text."""
        return text

    inner = server.streamable_http_app(host="127.0.0.1")

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            requests.append(headers)
            if headers.get("authorization") != HTTP_TOKEN:
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b"unauthorized"})
                return
        await inner(scope, receive, send)

    return guarded


class RunningHttp:
    """uvicorn serving `http_app` in a thread, on a port of our choice."""

    def __init__(self, port: int) -> None:
        import uvicorn

        self.requests: list[dict[str, str]] = []
        self.url = f"http://127.0.0.1:{port}/mcp"
        # A connected client keeps a request open (its subscription to tool changes): a
        # stop waits for it no more than a second.
        config = uvicorn.Config(
            http_app(self.requests),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="mcp-http-fixture", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:  # uvicorn offers a flag, not an event
            assert self._thread.is_alive() and time.monotonic() < deadline, (
                "the HTTP MCP server did not start"
            )
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


@pytest.fixture(scope="module")
def http_server() -> Iterator[HttpServer]:
    running = RunningHttp(free_port())
    yield HttpServer(url=running.url, requests=running.requests)
    running.stop()
