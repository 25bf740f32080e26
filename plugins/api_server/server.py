"""The API server's life: bind, serve on a background thread with uvicorn, stop.

The socket is bound here, before uvicorn runs, so "port in use" or "address not
available" reach the caller as a plain error (uvicorn would log and exit its thread),
and port 0 picks a free port that `status()` then reports.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable

import uvicorn

from llamadesk.core.commands import CommandTable
from llamadesk.core.errors import N_, InvalidParams, Unavailable
from llamadesk.core.models.app_config import AppConfig
from llamadesk.core.models.server import ServerStatus

from .fair_queue import FairModelQueue
from .gateway import InferenceGateway
from .routes import build_api
from .settings import ServerSettings

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 30.0
# On stop, open streams get this long to end before uvicorn cancels them (which
# cancels their generations).
GRACEFUL_STOP_SECONDS = 1


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiServer:
    """At most one running server per app; start/stop are safe from any thread."""

    def __init__(
        self,
        commands: CommandTable,
        app_settings: Callable[[], AppConfig],
        settings: Callable[[], ServerSettings],
    ) -> None:
        self._commands = commands
        self._app_settings = app_settings
        self._settings = settings
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._gateway: InferenceGateway | None = None
        self._host = ""
        self._port = 0
        self._key_required = False
        self._started_at: float | None = None

    def start(self, host: str, port: int, api_key: str | None) -> ServerStatus:
        with self._lock:
            if self._server is not None:
                raise Unavailable(
                    N_("the API server is already running at {url}; stop it first"), url=self._url()
                )
            if not is_loopback(host) and not api_key:
                raise InvalidParams(
                    N_(
                        "Listening on {host} lets other machines use your models, so it needs an API key: "
                        "`llamadesk config set server.api_key SECRET` or `llamadesk serve --api-key "
                        "SECRET`."
                    ),
                    host=host,
                )
            sock = _bind(host, port)
            gateway = InferenceGateway(self._commands, FairModelQueue(), self._app_settings)
            config = uvicorn.Config(
                build_api(gateway, api_key, lambda: self._settings().max_body_mb * 1024 * 1024),
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=GRACEFUL_STOP_SECONDS,
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name="llamadesk-api", daemon=True
            )
            thread.start()
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while not server.started and thread.is_alive() and time.monotonic() < deadline:
                time.sleep(0.01)
            if not server.started:
                server.should_exit = True
                sock.close()
                raise Unavailable(
                    N_("the API server did not start on {host}:{port}; see the log (-v)"),
                    host=host,
                    port=port,
                )
            self._server, self._thread, self._gateway = server, thread, gateway
            self._host, self._port = host, sock.getsockname()[1]
            self._key_required = bool(api_key)
            self._started_at = time.time()
            log.info("API server listening on %s", self._url())
            return self._status()

    def stop(self) -> ServerStatus:
        with self._lock:
            server, thread = self._server, self._thread
            if server is not None and thread is not None:
                if self._gateway is not None:
                    self._gateway.cancel_all()  # open streams then end within the grace period
                server.should_exit = True
                thread.join(timeout=GRACEFUL_STOP_SECONDS + 10)
            self._server = self._thread = None
            self._started_at = None
            return self._status()

    def status(self) -> ServerStatus:
        with self._lock:
            return self._status()

    def _url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}/v1"

    def _status(self) -> ServerStatus:
        running = self._server is not None
        gateway = self._gateway
        return ServerStatus(
            running=running,
            url=self._url() if running else None,
            host=self._host if running else None,
            port=self._port if running else None,
            key_required=self._key_required if running else False,
            started_at=self._started_at,
            generating=gateway.queue.running_total if gateway and running else 0,
            queued=gateway.queue.waiting_total if gateway and running else 0,
            finished=gateway.finished if gateway else 0,
            cancelled=gateway.cancelled if gateway else 0,
        )


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        raise Unavailable(
            N_("cannot listen on {host}:{port}: {reason}"), host=host, port=port, reason=exc.strerror or exc
        ) from None
    sock.setblocking(False)
    return sock
