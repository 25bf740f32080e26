"""Making a model worker notice an RPC worker whose machine vanished.

ggml-rpc's sockets have no timeouts: a worker process that is killed closes its
connections and the model worker fails at once, but a machine switched off or a
cable pulled leaves the model worker waiting forever for a reply. After the model is
loaded, the model worker turns on TCP keepalive and a user timeout on its own
connections to the workers, so the kernel gives up on a silent peer within
seconds; ggml then fails like for a killed worker, and the app reports which
worker went away. A worker that is only slow still acknowledges what it is sent,
so it is never cut off.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable

import psutil

from .rpc_probe import split_endpoint

IDLE_S = 10  # keepalive: first probe after this much silence
INTERVAL_S = 3  # then one every INTERVAL_S
PROBES = 3  # and give up after this many unanswered
USER_TIMEOUT_MS = 20_000  # data sent but not acknowledged for this long: the peer is gone


def addresses(endpoints: Iterable[str]) -> set[tuple[str, int]]:
    """Every (ip, port) the endpoints' host names resolve to."""
    found: set[tuple[str, int]] = set()
    for endpoint in endpoints:
        host, port = split_endpoint(endpoint)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            continue
        found |= {(str(info[4][0]), port) for info in infos}
    return found


def watch_connections(endpoints: Iterable[str]) -> int:
    """Set keepalive and a user timeout on this process's TCP connections to `endpoints`;
    returns how many it set. Options a platform lacks are left out."""
    targets = addresses(endpoints)
    process = psutil.Process()
    list_connections = getattr(process, "net_connections", None) or process.connections
    count = 0
    for connection in list_connections(kind="tcp"):
        if connection.fd < 0 or not connection.raddr:
            continue  # Windows and macOS do not tell the fd of a connection
        if (connection.raddr.ip, connection.raddr.port) not in targets:
            continue
        with socket.socket(fileno=os.dup(connection.fd)) as sock:  # closing the copy leaves it open
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            for name, value in (
                ("TCP_KEEPIDLE", IDLE_S),
                ("TCP_KEEPINTVL", INTERVAL_S),
                ("TCP_KEEPCNT", PROBES),
                ("TCP_USER_TIMEOUT", USER_TIMEOUT_MS),
            ):
                option = getattr(socket, name, None)
                if option is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, option, value)
        count += 1
    return count
