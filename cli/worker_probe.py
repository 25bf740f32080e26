"""A spawned child process that loads llama.cpp and reports what it found.

It checks what a bundle most often gets wrong: that a spawn-context child of a
frozen executable re-enters through `freeze_support()` instead of starting a
second app, and that llama.cpp's shared libraries load there. It deliberately
uses llama_cpp directly, not the runtime plugin: a failure here points at the
packaging, a failure in the self-test's generation check at the runtime.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

# Starting a child and importing llama_cpp takes about a second; this only guards a hang.
PROBE_TIMEOUT_SECONDS = 120.0


def run_probe() -> dict[str, Any]:
    """Start the child, wait for its report. Raises RuntimeError with the child's reason on failure."""
    ctx = multiprocessing.get_context("spawn")  # the runtime's context: fork is unsafe with threads
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=probe,
        args=(sender,),
        name="llamadesk-probe",
        daemon=True,
    )
    started = time.perf_counter()
    child.start()
    sender.close()  # so recv() sees EOF if the child dies without answering
    try:
        if not receiver.poll(PROBE_TIMEOUT_SECONDS):
            raise RuntimeError(f"the worker process did not answer within {PROBE_TIMEOUT_SECONDS:.0f} s")
        report: dict[str, Any] = receiver.recv()
    except EOFError:
        child.join(5)
        raise RuntimeError(f"the worker process exited with code {child.exitcode} before answering") from None
    finally:
        receiver.close()
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join()
    if "error" in report:
        raise RuntimeError(f"in the worker process: {report['error']}")
    report["round_trip_s"] = time.perf_counter() - started
    return report


def probe(conn: Connection) -> None:
    """Runs in the child: report what loaded, or why it did not."""
    try:
        conn.send(_probe())
    except BaseException as exc:
        conn.send({"error": "".join(traceback.format_exception_only(type(exc), exc)).strip()})
    finally:
        conn.close()


def _probe() -> dict[str, Any]:
    import llama_cpp  # loads libllama and libggml*: the part a bundle can miss

    return {
        "pid": os.getpid(),
        "frozen": bool(getattr(sys, "frozen", False)),
        "llama_cpp": llama_cpp.__version__,
        "rpc": bool(llama_cpp.llama_supports_rpc()),  # a model can be split across machines
        "system_info": llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
    }
