"""Sentences saying how a model worker ended, for the model's error state."""

from __future__ import annotations

import signal

from .rpc_probe import accepts_connections


def describe_exit(name: str, exitcode: int | None) -> str:
    """A sentence saying how a worker ended, for the model's error state."""
    if exitcode is None:
        return f"the worker for {name} stopped responding"
    if exitcode < 0:
        sig = -exitcode
        if sig == signal.SIGKILL:
            return (
                f"the worker for {name} was killed (SIGKILL), often because the system ran out "
                "of memory; load it again, perhaps with a smaller context size"
            )
        if sig == signal.SIGSEGV:
            return f"the worker for {name} crashed (segmentation fault in llama.cpp); load it again"
        return f"the worker for {name} ended on signal {signal.Signals(sig).name}; load it again"
    return f"the worker for {name} exited unexpectedly (code {exitcode}); load it again"


def describe_rpc_exit(name: str, endpoints: list[str], abort_message: bytes) -> str | None:
    """Why a model split across RPC workers stopped, naming the worker that went away; None
    when every worker still answers and ggml said nothing (then it was not the network)."""
    for endpoint in endpoints:
        problem = accepts_connections(endpoint)
        if problem is not None:
            return (
                f"RPC worker {endpoint} went away ({problem}), so {name} stopped; load it again once "
                "the worker is back, or without rpc if it fits on this machine"
            )
    if abort_message:
        reason = abort_message.decode("utf-8", errors="replace").split(": ", 1)[-1].strip()
        return f"{name} stopped: llama.cpp's RPC failed ({reason}); load it again"
    return None
