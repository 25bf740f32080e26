"""Sentences saying how a model worker ended, for the model's error state. Each is a
Phrase: the English text for the CLI, the API and the model's state, its parts translated
by the window (core/models/phrase.py)."""

from __future__ import annotations

import signal

from llamadesk.core.errors import N_
from llamadesk.core.models.phrase import Phrase, phrase

from .rpc_probe import accepts_connections


def describe_exit(name: str, exitcode: int | None) -> Phrase:
    """How a worker ended."""
    if exitcode is None:
        return phrase(N_("the worker for {name} stopped responding"), name=name)
    if exitcode < 0:
        sig = -exitcode
        if sig == signal.SIGKILL:
            return phrase(
                N_(
                    "the worker for {name} was killed (SIGKILL), often because the system ran out "
                    "of memory; load it again, perhaps with a smaller context size"
                ),
                name=name,
            )
        if sig == signal.SIGSEGV:
            return phrase(
                N_("the worker for {name} crashed (segmentation fault in llama.cpp); load it again"),
                name=name,
            )
        return phrase(
            N_("the worker for {name} ended on signal {signal}; load it again"),
            name=name,
            signal=signal.Signals(sig).name,
        )
    return phrase(
        N_("the worker for {name} exited unexpectedly (code {code}); load it again"), name=name, code=exitcode
    )


def describe_rpc_exit(name: str, endpoints: list[str], abort_message: bytes) -> Phrase | None:
    """Why a model split across RPC workers stopped, naming the worker that went away; None
    when every worker still answers and ggml said nothing (then it was not the network)."""
    for endpoint in endpoints:
        problem = accepts_connections(endpoint)
        if problem is not None:
            return phrase(
                N_(
                    "RPC worker {endpoint} went away ({problem}), so {name} stopped; load it again once "
                    "the worker is back, or without rpc if it fits on this machine"
                ),
                endpoint=endpoint,
                problem=problem,
                name=name,
            )
    if abort_message:
        reason = abort_message.decode("utf-8", errors="replace").split(": ", 1)[-1].strip()
        return phrase(
            N_("{name} stopped: llama.cpp's RPC failed ({reason}); load it again"), name=name, reason=reason
        )
    return None
