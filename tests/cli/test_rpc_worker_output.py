"""What `llamadesk rpc-worker` tells the person who started it."""

from __future__ import annotations

import pytest

from llamadesk.cli.verbs.rpc_worker import show
from llamadesk.core.models.rpc import RpcDevice, RpcServing
from llamadesk.plugins.llama_cpp.rpc_server import is_loopback

GB = 10**9


def serving(endpoint: str, exposed: bool) -> RpcServing:
    cpu = RpcDevice(name="CPU", description="AMD Ryzen 7", free_bytes=32 * GB, total_bytes=32 * GB)
    return RpcServing(
        endpoint=endpoint,
        devices=[cpu],
        available_bytes=28 * GB,
        cache_dir="/c/rpc",
        exposed=exposed,
        log_file="/l",
    )


def test_what_a_worker_offers_and_where(capsys: pytest.CaptureFixture[str]) -> None:
    show(serving("127.0.0.1:50052", exposed=False))
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "offering CPU (AMD Ryzen 7): 32 GB (of 32 GB)",
        "memory available on this machine now: 28 GB",
        "tensor cache: /c/rpc; llama.cpp's log: /l",
        "RPC worker listening on 127.0.0.1:50052. Ctrl+C stops.",
    ]
    assert not err


def test_a_worker_on_another_address_warns_that_anyone_can_use_it(capsys: pytest.CaptureFixture[str]) -> None:
    show(serving("192.168.1.20:50052", exposed=True))
    err = capsys.readouterr().err
    assert "anyone who can reach this port can use this machine's memory and CPU" in err
    assert "no authentication" in err and "trusted network" in err and "SSH tunnel" in err


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20") and not is_loopback("gpubox")
