"""A spawned child process that imports llama_cpp and, given a model, generates a few tokens.

It checks what a bundle most often gets wrong: that a spawn-context child of a
frozen executable re-enters through `freeze_support()` instead of starting a
second app, and that llama.cpp's shared libraries load there. It deliberately
uses llama_cpp directly, not the runtime plugin: a failure here points at the
packaging, a failure in the runtime check points at the runtime.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

PROMPT = "The capital of France is"
# A first load of a small model takes well under a second; this only guards a hang.
PROBE_TIMEOUT_SECONDS = 120.0


def run_probe(model: Path | None, max_tokens: int = 8) -> dict[str, Any]:
    """Start the child, wait for its report. Raises RuntimeError with the child's reason on failure."""
    ctx = multiprocessing.get_context("spawn")  # the runtime's context: fork is unsafe with threads
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=probe,
        args=(str(model) if model else None, max_tokens, sender),
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


def probe(model: str | None, max_tokens: int, conn: Connection) -> None:
    """Runs in the child: report what loaded, and a few generated tokens when given a model."""
    try:
        conn.send(_probe(model, max_tokens))
    except BaseException as exc:
        conn.send({"error": "".join(traceback.format_exception_only(type(exc), exc)).strip()})
    finally:
        conn.close()


def _probe(model: str | None, max_tokens: int) -> dict[str, Any]:
    import llama_cpp  # loads libllama and libggml*: the part a bundle can miss

    report: dict[str, Any] = {
        "pid": os.getpid(),
        "frozen": bool(getattr(sys, "frozen", False)),
        "llama_cpp": llama_cpp.__version__,
    }
    if model is None:
        return report
    started = time.perf_counter()
    llm = llama_cpp.Llama(model_path=model, n_ctx=256, n_threads=1, verbose=False)
    loaded = time.perf_counter()
    out: Any = llm.create_completion(PROMPT, max_tokens=max_tokens, temperature=0.0)
    done = time.perf_counter()
    report.update(
        text=out["choices"][0]["text"],
        tokens=out["usage"]["completion_tokens"],
        load_s=loaded - started,
        generate_s=done - loaded,
    )
    llm.close()
    return report
