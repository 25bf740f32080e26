"""Asking an RPC worker what it offers: ggml-rpc's protocol spoken from Python.

The real workers are asked in test_rpc.py; here a small server on 127.0.0.1 answers
as ggml-rpc.cpp does (or does not), to reach the states a real one seldom shows.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from llamadesk.core.models.rpc import RpcWorkerState
from llamadesk.plugins.llama_cpp.rpc_probe import (
    CAPS_SIZE,
    CMD_DEVICE_COUNT,
    CMD_GET_DEVICE_MEMORY,
    CMD_HELLO,
    accepts_connections,
    probe,
)

GIB = 1024**3


def read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def serve_one(listener: socket.socket, version: tuple[int, int, int], devices: list[tuple[int, int]]) -> None:
    """Answer one client the way ggml-rpc's server does: HELLO, then commands until it leaves."""
    conn, _ = listener.accept()
    with conn:
        try:
            command, size = struct.unpack("<BQ", read(conn, 9))
            assert command == CMD_HELLO and size == CAPS_SIZE
            read(conn, size)
            conn.sendall(struct.pack("<Q", 4 + CAPS_SIZE) + bytes([*version, 0]) + bytes(CAPS_SIZE))
            while True:
                command, size = struct.unpack("<BQ", read(conn, 9))
                data = read(conn, size)
                if command == CMD_DEVICE_COUNT:
                    conn.sendall(struct.pack("<QI", 4, len(devices)))
                elif command == CMD_GET_DEVICE_MEMORY:
                    (index,) = struct.unpack("<I", data)
                    conn.sendall(struct.pack("<QQQ", 16, *devices[index]))
        except ConnectionError:
            return


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock
    sock.close()


def endpoint_of(sock: socket.socket) -> str:
    return f"127.0.0.1:{sock.getsockname()[1]}"


def test_a_ready_worker_says_its_devices_and_memory(listener: socket.socket) -> None:
    devices = [(20 * GIB, 24 * GIB), (7 * GIB, 8 * GIB)]
    thread = threading.Thread(target=serve_one, args=(listener, (7, 0, 0), devices))
    thread.start()
    info = probe(endpoint_of(listener))
    thread.join(5)
    assert info.state is RpcWorkerState.READY and info.protocol == "7.0.0"
    assert [(d.free_bytes, d.total_bytes) for d in info.devices] == devices
    assert info.offered_bytes == 27 * GIB


def test_a_worker_serving_another_client_is_busy_not_down(listener: socket.socket) -> None:
    # It listens but never accepts: as ggml-rpc does while it serves someone else.
    info = probe(endpoint_of(listener), timeout=0.3)
    assert info.state is RpcWorkerState.BUSY and "serves another client" in info.detail
    assert accepts_connections(endpoint_of(listener)) is None


def test_another_protocol_version_is_incompatible(listener: socket.socket) -> None:
    thread = threading.Thread(target=serve_one, args=(listener, (6, 1, 0), []))
    thread.start()
    info = probe(endpoint_of(listener))
    thread.join(5)
    assert info.state is RpcWorkerState.INCOMPATIBLE and info.protocol == "6.1.0"
    assert "same llamadesk version" in info.detail


def test_nothing_listening_is_down(listener: socket.socket) -> None:
    closed = endpoint_of(listener)
    listener.close()
    info = probe(closed)
    assert info.state is RpcWorkerState.DOWN and info.detail == "nothing listens on that port"
    assert accepts_connections(closed) == "nothing listens on that port"


def test_something_else_on_the_port_is_down_with_a_reason(listener: socket.socket) -> None:
    def talk_http() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(100)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    thread = threading.Thread(target=talk_http)
    thread.start()
    info = probe(endpoint_of(listener))
    thread.join(5)
    assert info.state is RpcWorkerState.DOWN and "not an RPC worker" in info.detail
