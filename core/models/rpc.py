"""A model split across machines with llama.cpp's RPC backend: the `rpc.*` commands' params,
results and events (the llama_cpp plugin provides them; see docs/distributed.md)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from .base import CommandParams, Record

DEFAULT_PORT = 50052  # llama.cpp's rpc-server's
# HOST:PORT. llama.cpp splits an endpoint at its first colon, so an IPv6 address cannot be
# written; a host name for it can.
ENDPOINT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*:[0-9]{1,5}$"


def check_endpoint(value: str) -> str:
    """`value` if it is HOST:PORT with a port in 1..65535; ValueError saying why not."""
    host, _, port = value.rpartition(":")
    if not host or ":" in host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not HOST:PORT (like 192.168.1.20:{DEFAULT_PORT})")
    return value


class RpcEndpointParams(CommandParams):
    endpoint: str = Field(
        pattern=ENDPOINT_PATTERN, description="HOST:PORT of a machine running `llamadesk rpc-worker`."
    )

    @field_validator("endpoint")
    @classmethod
    def _is_host_port(cls, value: str) -> str:
        return check_endpoint(value)


class RpcAddParams(RpcEndpointParams):
    check: bool = Field(True, description="Ask the worker first and fail if it does not answer.")


class RpcWorkerState(StrEnum):
    READY = "ready"  # answered, and free to serve a model
    BUSY = "busy"  # accepted the connection but serves another client (one at a time)
    DOWN = "down"  # nothing answers there
    INCOMPATIBLE = "incompatible"  # a worker of another llama.cpp RPC protocol version
    UNCHECKED = "unchecked"  # listed without asking it


class RpcDevice(Record):
    """A device a worker offers: its CPU (the machine's memory) or a GPU."""

    name: str = Field("", description="As llama.cpp names it (CPU, CUDA0...); empty when asked over RPC.")
    description: str = ""
    free_bytes: int = Field(description="Memory the device reports free (a CPU reports the machine's RAM).")
    total_bytes: int


class RpcWorkerInfo(Record):
    """One RPC worker of the list, and what it answered."""

    endpoint: str = Field(description="HOST:PORT.")
    state: RpcWorkerState
    detail: str = Field("", description="Why it is down, busy or incompatible, for people.")
    devices: list[RpcDevice] = Field(default_factory=list)
    offered_bytes: int = Field(0, description="Memory it offers: its devices' free memory together.")
    protocol: str = Field("", description="The llama.cpp RPC protocol version it speaks, like 7.0.0.")


class RpcWorkerList(Record):
    workers: list[RpcWorkerInfo] = Field(description="The rpc_workers setting's workers, in order.")


class RpcServeParams(CommandParams):
    host: str = Field(
        "127.0.0.1",
        description="Address to listen on. Anyone who can reach the port can use the worker (llama.cpp's "
        "RPC has no authentication): another address only on a trusted network.",
    )
    port: int = Field(DEFAULT_PORT, ge=0, le=65535, description="Port to listen on; 0 picks a free one.")
    threads: int | None = Field(None, ge=1, description="CPU threads; empty picks the physical core count.")
    cache_dir: str | None = Field(
        None,
        description="Where to keep the tensors clients send, so a model's weights cross the network once; "
        "empty uses the app's cache folder.",
    )
    cache: bool = Field(True, description="Keep the local tensor cache.")


class RpcServing(Record):
    """Event: the worker listens and offers its devices."""

    kind: str = "rpc_serving"
    endpoint: str = Field(description="HOST:PORT it listens on (the real port when 0 was asked).")
    devices: list[RpcDevice]
    available_bytes: int = Field(description="Memory the OS says is available on this machine now.")
    cache_dir: str | None = Field(None, description="The tensor cache; empty when off.")
    exposed: bool = Field(description="It listens on an address other than loopback.")
    log_file: str = Field(description="llama.cpp's own output: connections, errors.")


class RpcClientEvent(Record):
    """Event: a client (a model's process on some machine) connected or left."""

    kind: str = "rpc_client"
    connected: bool


class RpcServeResult(Record):
    endpoint: str
    reason: str = Field(description="Why it stopped: asked to, or what went wrong.")
