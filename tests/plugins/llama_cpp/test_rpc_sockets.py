"""A model worker's connections to RPC workers notice a machine that vanished."""

from __future__ import annotations

import socket
import sys

import pytest

from llamadesk.plugins.llama_cpp import rpc_sockets


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only Linux tells the fd of a connection")
def test_keepalive_and_a_user_timeout_are_set_on_connections_to_the_workers() -> None:
    with socket.socket() as server, socket.socket() as other:
        server.bind(("127.0.0.1", 0))
        server.listen(2)
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        endpoint = f"127.0.0.1:{server.getsockname()[1]}"
        with (
            socket.create_connection(server.getsockname()) as to_worker,
            socket.create_connection(other.getsockname()) as elsewhere,
        ):
            assert rpc_sockets.watch_connections([endpoint]) == 1
            assert to_worker.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert to_worker.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == rpc_sockets.IDLE_S
            assert to_worker.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == rpc_sockets.PROBES
            timeout = to_worker.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)
            assert timeout == rpc_sockets.USER_TIMEOUT_MS
            assert elsewhere.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0  # left alone
            to_worker.sendall(b"still open")  # the copy the options were set through was closed, not it


def test_names_resolve_to_addresses() -> None:
    assert ("127.0.0.1", 50052) in rpc_sockets.addresses(["localhost:50052"])
    assert rpc_sockets.addresses(["no-such-host.invalid:1"]) == set()
