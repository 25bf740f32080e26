"""Asking an RPC worker what it offers, from the app's process, in plain Python.

The app's process never loads llama.cpp (only model workers do), yet it checks a
worker before a load: that it answers, speaks this build's protocol, and how much
memory it offers. That is three requests of ggml-rpc's protocol (ggml-rpc.cpp):

    request : | command (1 byte) | size (u64) | data (size bytes) |
    response: | size (u64) | data (size bytes) |

HELLO (14) first, with 24 bytes of transport capabilities (zeros: plain TCP), answered
by the version (major, minor, patch, padding) and the worker's 24; then DEVICE_COUNT
(15) and GET_DEVICE_MEMORY (11, u32 device -> u64 free, u64 total). Little-endian, as
every machine llama.cpp runs on.

A worker serves one client at a time and leaves others waiting in its listen queue,
so a worker that accepts the connection but does not answer HELLO within the timeout
is busy (a model is loaded on it from somewhere), not down.
"""

from __future__ import annotations

import socket
import struct

from llamadesk.core.models.rpc import RpcDevice, RpcWorkerInfo, RpcWorkerState

# The protocol of the ggml-rpc this build was made with (ggml-rpc.h RPC_PROTO_*): a worker
# answers with its own; the major version must match and its minor may not be newer.
PROTOCOL_MAJOR = 7
PROTOCOL_MINOR = 0
CMD_GET_DEVICE_MEMORY = 11
CMD_HELLO = 14
CMD_DEVICE_COUNT = 15
CAPS_SIZE = 24
PROBE_TIMEOUT_S = 2.0
NOT_RUNNING = "nothing listens on that port"


class ProtocolError(Exception):
    """The worker answered something that is not the protocol."""


def split_endpoint(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host, int(port)


def probe(endpoint: str, timeout: float = PROBE_TIMEOUT_S) -> RpcWorkerInfo:
    """What the worker at HOST:PORT answers. Never raises: the state says what happened."""
    host, port = split_endpoint(endpoint)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except ConnectionRefusedError:
        return _down(endpoint, NOT_RUNNING)
    except TimeoutError:
        return _down(endpoint, f"no answer within {timeout:g} s: the machine is off or unreachable")
    except OSError as exc:  # unknown host, no route
        return _down(endpoint, f"cannot connect: {exc.strerror or exc}")
    with sock:
        try:
            major, minor, patch = _hello(sock)
        except TimeoutError:
            return RpcWorkerInfo(
                endpoint=endpoint,
                state=RpcWorkerState.BUSY,
                detail="it accepted the connection but serves another client (a worker serves one "
                "model at a time): a model is loaded on it, from this machine or another",
            )
        except (OSError, ProtocolError) as exc:
            return _down(endpoint, f"it is not an RPC worker, or it failed: {exc}")
        version = f"{major}.{minor}.{patch}"
        if major != PROTOCOL_MAJOR or minor > PROTOCOL_MINOR:
            return RpcWorkerInfo(
                endpoint=endpoint,
                state=RpcWorkerState.INCOMPATIBLE,
                protocol=version,
                detail=f"it speaks llama.cpp RPC protocol {version}, this app {PROTOCOL_MAJOR}."
                f"{PROTOCOL_MINOR}: run the same llamadesk version there",
            )
        try:
            devices = _devices(sock)
        except (OSError, ProtocolError) as exc:
            return _down(endpoint, f"it failed while answering: {exc}")
    return RpcWorkerInfo(
        endpoint=endpoint,
        state=RpcWorkerState.READY,
        protocol=version,
        devices=devices,
        offered_bytes=sum(device.free_bytes for device in devices),
    )


def accepts_connections(endpoint: str, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when something accepts a connection at HOST:PORT, else why not. Cheaper than a
    probe, and right for a worker that is serving us: it only says the machine is there."""
    host, port = split_endpoint(endpoint)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except ConnectionRefusedError:
        return NOT_RUNNING
    except TimeoutError:
        return f"no answer within {timeout:g} s: the machine is off or unreachable"
    except OSError as exc:
        return f"cannot connect: {exc.strerror or exc}"
    return None


def _down(endpoint: str, detail: str) -> RpcWorkerInfo:
    return RpcWorkerInfo(endpoint=endpoint, state=RpcWorkerState.DOWN, detail=detail)


def _hello(sock: socket.socket) -> tuple[int, int, int]:
    reply = _request(sock, CMD_HELLO, bytes(CAPS_SIZE), 4 + CAPS_SIZE)
    major, minor, patch = reply[0], reply[1], reply[2]
    return major, minor, patch


def _devices(sock: socket.socket) -> list[RpcDevice]:
    (count,) = struct.unpack("<I", _request(sock, CMD_DEVICE_COUNT, b"", 4))
    devices = []
    for index in range(count):
        free, total = struct.unpack(
            "<QQ", _request(sock, CMD_GET_DEVICE_MEMORY, struct.pack("<I", index), 16)
        )
        devices.append(RpcDevice(free_bytes=free, total_bytes=total))
    return devices


def _request(sock: socket.socket, command: int, data: bytes, reply_size: int) -> bytes:
    sock.sendall(struct.pack("<BQ", command, len(data)) + data)
    (size,) = struct.unpack("<Q", _read(sock, 8))
    if size != reply_size:
        raise ProtocolError(f"a reply of {size} bytes to command {command}, not {reply_size}")
    return _read(sock, size)


def _read(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ProtocolError("the connection closed mid-reply")
        data += chunk
    return bytes(data)
