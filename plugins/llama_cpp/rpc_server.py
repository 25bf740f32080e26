"""The RPC worker: this machine's devices offered to other machines' models (`rpc.serve`).

llama.cpp's `ggml_backend_rpc_start_server` (what its rpc-server runs) serves until
its process ends, so it runs in a child process (multiprocessing spawn, which also
works from the frozen bundle) that the command supervises:

    rpc.serve (the app)                       server process (spawn)
      check the address is free                 GgmlRpc(): llama.cpp's own libraries
      start the child ─────────────── pipe ◄──── the devices and their memory
      wait until it listens (psutil)            stdout/stderr -> logs/rpc-worker-PORT.log
      emit RpcServing                           ggml_backend_rpc_start_server() (blocks)
      follow the log: RpcClientEvent            a thread: exit when the parent is gone
      cancelled -> terminate the child

Stopping is the parent's call: the child ignores Ctrl+C (the terminal sends it to the
whole process group) and is terminated when the command is cancelled, or exits by
itself when its parent disappears, so it never outlives `llamadesk rpc-worker`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil

from llamadesk.core.commands import CommandContext
from llamadesk.core.errors import N_, InvalidParams, Unavailable
from llamadesk.core.models.rpc import RpcClientEvent, RpcDevice, RpcServeParams, RpcServeResult, RpcServing

from .ggml_rpc import GgmlRpc, wait_passively

START_TIMEOUT_S = 60.0  # loading llama.cpp's libraries (a GPU's driver) and listening
POLL_S = 0.2
STOP_GRACE_S = 3.0
ACCEPTED, CLOSED = "Accepted client connection", "Client connection closed"


def serve_main(conn: Connection, endpoint: str, cache_dir: str | None, threads: int, log_path: str) -> None:
    """Entry point of the server process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the parent, which stops us
    parent = os.getppid()
    wait_passively()
    try:
        ggml = GgmlRpc()
        devices = ggml.serving_devices()
        offered = []
        for device in devices:
            free, total = ggml.device_memory(device)
            offered.append(
                RpcDevice(
                    name=ggml.device_name(device),
                    description=ggml.device_description(device),
                    free_bytes=free,
                    total_bytes=total,
                )
            )
    except Exception as exc:
        conn.send(f"{type(exc).__name__}: {exc}")
        return
    conn.send(offered)
    conn.close()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    # llama.cpp prints to stdout and stderr: connections, and why it cannot listen.
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    ggml.start_server(endpoint, cache_dir, threads, devices)  # returns only when it cannot listen
    os._exit(3)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_free(host: str, port: int) -> None:
    """Raise InvalidParams when HOST:PORT cannot be listened on (in use, not this machine's)."""
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise InvalidParams(
            N_("cannot listen on {host}: {reason}"), host=host, reason=exc.strerror or exc
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as ggml's server does
        try:
            probe.bind(address)
        except OSError as exc:
            raise InvalidParams(
                N_("cannot listen on {host}:{port}: {reason} (another rpc-worker? choose another --port)"),
                host=host,
                port=port,
                reason=exc.strerror or exc,
            ) from None


class RpcServer:
    """One server process, supervised by the `rpc.serve` command that started it."""

    def __init__(self, params: RpcServeParams, cache_root: Path, logs_dir: Path) -> None:
        self.params = params
        self.cache_dir = (
            None
            if not params.cache
            else str(Path(params.cache_dir).expanduser() if params.cache_dir else cache_root)
        )
        logs_dir.mkdir(parents=True, exist_ok=True)
        port = params.port or f"any-{os.getpid()}"  # two workers on port 0 keep their logs apart
        self.log_path = logs_dir / f"rpc-worker-{port}.log"
        self.threads = params.threads or psutil.cpu_count(logical=False) or os.cpu_count() or 1
        self._process: Any = None
        self._read_at = 0

    def run(self, ctx: CommandContext) -> RpcServeResult:
        check_free(self.params.host, self.params.port)
        if self.cache_dir:
            Path(self.cache_dir).mkdir(parents=True, exist_ok=True)
        self.log_path.write_text("")
        devices = self._start()
        try:
            endpoint = f"{self.params.host}:{self._listening_port()}"
            ctx.emit(
                RpcServing(
                    endpoint=endpoint,
                    devices=devices,
                    available_bytes=int(psutil.virtual_memory().available),
                    cache_dir=self.cache_dir,
                    exposed=not is_loopback(self.params.host),
                    log_file=str(self.log_path),
                )
            )
            while not ctx.token.wait(POLL_S):
                if not self._process.is_alive():
                    raise Unavailable(
                        N_("the RPC worker at {endpoint} stopped: {ended}"),
                        endpoint=endpoint,
                        ended=self._ended(),
                    )
                for connected in self._client_events():
                    ctx.emit(RpcClientEvent(connected=connected))
            return RpcServeResult(endpoint=endpoint, reason="stopped")
        finally:
            self._stop()

    def _start(self) -> list[RpcDevice]:
        context = multiprocessing.get_context("spawn")
        conn, child_conn = context.Pipe(duplex=False)
        endpoint = f"{self.params.host}:{self.params.port}"
        self._process = context.Process(
            target=serve_main,
            args=(child_conn, endpoint, self.cache_dir, self.threads, str(self.log_path)),
            name=f"llamadesk-rpc-worker:{self.params.port}",
            daemon=True,
        )
        self._process.start()
        child_conn.close()
        try:
            if not conn.poll(START_TIMEOUT_S):
                raise Unavailable(
                    N_("the RPC worker did not start within {start_timeout_s:.0f} s"),
                    start_timeout_s=START_TIMEOUT_S,
                )
            answer = conn.recv()
        except EOFError:
            raise Unavailable(N_("the RPC worker could not start: {ended}"), ended=self._ended()) from None
        finally:
            conn.close()
        if isinstance(answer, str):
            raise Unavailable(N_("the RPC worker could not start: {answer}"), answer=answer)
        return list(answer)

    def _listening_port(self) -> int:
        """The port the server process listens on (the one asked, or the one port 0 got)."""
        process = psutil.Process(self._process.pid)
        list_connections = getattr(process, "net_connections", None) or process.connections
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self._process.is_alive():
                raise Unavailable(
                    N_("the RPC worker could not listen on {host}:{port}: {ended}"),
                    host=self.params.host,
                    port=self.params.port,
                    ended=self._ended(),
                )
            with contextlib.suppress(psutil.Error):
                for connection in list_connections(kind="tcp"):
                    if connection.status == psutil.CONN_LISTEN:
                        return int(connection.laddr.port)
            time.sleep(0.05)
        raise Unavailable(
            N_("the RPC worker did not listen within {start_timeout_s:.0f} s"),
            start_timeout_s=START_TIMEOUT_S,
        )

    def _client_events(self) -> list[bool]:
        """Connections opened (True) and closed (False) since the last call, from the log."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._read_at)
                data = log.read()
        except OSError:
            return []
        end = data.rfind(b"\n") + 1  # whole lines only
        self._read_at += end
        lines = data[:end].decode("utf-8", errors="replace").splitlines()
        return [line.startswith(ACCEPTED) for line in lines if line.startswith((ACCEPTED, CLOSED))]

    def _ended(self) -> str:
        """How the server process ended, with llama.cpp's last line when it printed one."""
        self._process.join(STOP_GRACE_S)
        lines = [line for line in self._log_text().splitlines() if line.strip()]
        said = next((line for line in reversed(lines) if "Failed" in line or "error" in line.lower()), "")
        code = self._process.exitcode
        return said or (f"exit code {code}" if code is not None and code >= 0 else f"signal {-(code or 0)}")

    def _log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _stop(self) -> None:
        if self._process is None or not self._process.is_alive():
            return
        self._process.terminate()
        self._process.join(STOP_GRACE_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(STOP_GRACE_S)
