"""A model split across two RPC workers: llamadesk against llama.cpp's own RPC tools.

In one run, same model, greedy decoding, thread count and placement:

1. llamadesk, the model loaded locally (`runtime.load`, `runtime.generate`)
2. llamadesk, the model split across two `llamadesk rpc-worker`s on 127.0.0.1
   (`layer_split [0, 1, 1]`: every layer on the workers, as llama-bench places them)
3. the baseline: llama.cpp's `ggml-rpc-server` twice and `llama-bench --rpc` (tg),
   built from the llama.cpp that the installed llama-cpp-python vendors
4. for reference: `llama-bench` tg without RPC, and llamadesk's default split (this
   machine's share by its free memory)

All run side by side and are measured in interleaved rounds (median kept), so a
machine whose load changes biases none of them. Tokens/s count after the first token
from the client's side; load time is `runtime.load` until ready (a fresh worker each
round). Then, with the model split across the llamadesk workers, the bytes each
worker's server process reads and writes per generated token (/proc/PID/io, the
difference between a long and a short generation, so the prompt drops out), for two
placements, which separates what a layer costs from what a token costs.

On one machine every part shares the same cores, so a split model is slower than a
local one: what matters is the ratio to llama.cpp's own tools, which pay the same.
Both use llama.cpp's CPU threads with OMP_WAIT_POLICY=passive, as llamadesk's workers
and a split model's process do (docs/architecture.md: spinning threads of idle
workers took the CPU of the busy one).

    .venv/bin/python benchmarks/rpc_split.py [--tokens 128] [--rounds 5] [--threads 2]

The first run builds ggml-rpc-server and llama-bench with -DGGML_RPC=ON (~8 minutes
on 2 cores) into ~/.cache/llamadesk-bench and reuses them afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel
from runtime_tokens import (
    TEST_CACHE,
    Run,
    build_llama_tools,
    free_port,
    log,
)  # siblings: benchmarks/ is sys.path[0]

PROMPT = [{"role": "user", "content": "Write a long story about a cat who travels the world."}]
CONTEXT = 2048
PASSIVE_ENV = {**os.environ, "OMP_WAIT_POLICY": "passive"}
LLAMADESK = Path(sys.executable).parent / "llamadesk"
LISTENING = re.compile(r"RPC worker listening on (\S+)\.")


def rpc_tools() -> tuple[Path, Path]:
    """ggml-rpc-server and llama-bench with RPC, built once from the vendored llama.cpp."""
    server, bench = build_llama_tools("build-rpc", ["ggml-rpc-server", "llama-bench"], ("-DGGML_RPC=ON",))
    return server, bench


# --- the workers ---


class LlamadeskWorker:
    def __init__(self, home: Path, threads: int) -> None:
        args = [str(LLAMADESK), "rpc-worker", "--port", "0", "--threads", str(threads)]
        env = {**os.environ, "LLAMADESK_HOME": str(home)}
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if (match := LISTENING.search(line)) is not None:
                self.endpoint = match[1]
                break
        else:
            raise RuntimeError("llamadesk rpc-worker did not start")
        self.port = int(self.endpoint.rsplit(":", 1)[1])

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)


class BaselineWorker:
    def __init__(self, server: Path, threads: int) -> None:
        port = free_port()
        self.endpoint = f"127.0.0.1:{port}"
        args = [str(server), "-H", "127.0.0.1", "-p", str(port), "-t", str(threads)]
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=PASSIVE_ENV
        )
        wait_listening(port)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def wait_listening(port: int) -> None:
    import psutil

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(
            c.laddr.port == port and c.status == psutil.CONN_LISTEN for c in psutil.net_connections("tcp")
        ):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


# --- what is measured ---


class Llamadesk:
    """One app; each round loads a fresh copy of the model with `options`, generates, unloads."""

    def __init__(
        self,
        app: object,
        model: Path,
        tokens: int,
        options: dict[str, object],
        name: str,
        passive: bool = True,
    ) -> None:
        self.app, self.model, self.name, self.passive = app, str(model), name, passive
        self.options = {"context_size": CONTEXT, **options}
        sampling = {"temperature": 0, "max_tokens": tokens, "repeat_penalty": 1.0}
        self.params = {"model": self.model, "messages": PROMPT, "sampling": sampling}
        self.load_s: list[float] = []
        self.parts = ""

    def run(self) -> Run:
        from llamadesk.core.models.commands import TokenEvent

        # A split model's process waits passively by itself; a local one spins unless told.
        if self.passive:
            os.environ["OMP_WAIT_POLICY"] = "passive"
        else:
            os.environ.pop("OMP_WAIT_POLICY", None)
        started = time.perf_counter()
        status = self.app.commands.invoke("runtime.load", {"model": self.model, "options": self.options})  # type: ignore[attr-defined]
        self.load_s.append(time.perf_counter() - started)
        self.parts = ", ".join(part.label() for part in status.parts)
        run = Run()

        def on_event(event: BaseModel) -> None:
            if isinstance(event, TokenEvent):
                run.token()

        self.app.commands.invoke("runtime.generate", self.params, on_event=on_event)  # type: ignore[attr-defined]
        self.app.commands.invoke("runtime.unload", {"model": self.model})  # type: ignore[attr-defined]
        return run


def llama_bench(bench: Path, model: Path, tokens: int, threads: int, rpc: list[str] | None) -> float:
    args = [str(bench), "-m", str(model), "-t", str(threads), "-p", "0", "-n", str(tokens), "-r", "1",
            "-fa", "1", "-o", "json"]  # fmt: skip
    args += ["--rpc", ",".join(rpc), "-ngl", "99"] if rpc else ["-ngl", "0"]
    done = subprocess.run(args, capture_output=True, text=True, check=True, env=PASSIVE_ENV)
    return float(json.loads(done.stdout)[0]["avg_ts"])


COUNTERS = ("bytes_received", "bytes_sent", "data_segs_in", "data_segs_out")


def socket_counters(port: int) -> dict[str, int]:
    """What the kernel counted on the worker's side of its connections (`ss -ti`): bytes
    received and sent, and segments carrying data (a message is one or a few)."""
    done = subprocess.run(
        ["ss", "-tinH", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    )
    totals = dict.fromkeys(COUNTERS, 0)
    for name in COUNTERS:
        totals[name] = sum(int(value) for value in re.findall(rf"\b{name}:(\d+)", done.stdout))
    return totals


def bytes_per_token(
    app: object, model: Path, workers: list[LlamadeskWorker], split: list[int], tokens: int
) -> list[dict[str, float]]:
    """Per worker: its layers, and what crossed its connection per generated token."""

    options = {"context_size": CONTEXT, "rpc": True, "layer_split": split}
    status = app.commands.invoke("runtime.load", {"model": str(model), "options": options})  # type: ignore[attr-defined]

    def generate(count: int) -> list[dict[str, int]]:
        before = [socket_counters(w.port) for w in workers]
        sampling = {"temperature": 0, "max_tokens": count, "repeat_penalty": 1.0}
        result = app.commands.invoke(
            "runtime.generate", {"model": str(model), "messages": PROMPT, "sampling": sampling}
        )  # type: ignore[attr-defined]
        assert result.usage.completion_tokens == count, "the answer ended early: ask for fewer tokens"
        after = [socket_counters(w.port) for w in workers]
        return [{k: a[k] - b[k] for k in a} for a, b in zip(after, before, strict=True)]

    generate(tokens)  # the prompt's first decode; the two measured ones reuse its KV cache alike
    short, long = generate(tokens), generate(2 * tokens)
    app.commands.invoke("runtime.unload", {"model": str(model)})  # type: ignore[attr-defined]
    layers = [part.layers for part in status.parts if part.remote]
    return [
        {"layers": count, **{name: (more[name] - less[name]) / tokens for name in COUNTERS}}
        for count, less, more in zip(layers, short, long, strict=True)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from llamadesk.core.app import App
    from llamadesk.core.paths import AppPaths
    from llamadesk.core.starter_model import ensure_starter_model

    model = ensure_starter_model(TEST_CACHE)
    server_bin, bench_bin = rpc_tools()
    tmp = tempfile.TemporaryDirectory()
    home = Path(tmp.name)
    ours = [LlamadeskWorker(home, args.threads) for _ in range(2)]
    theirs = [BaselineWorker(server_bin, args.threads) for _ in range(2)]
    app = App(AppPaths.under(home), load_entrypoints=False).start()
    app.commands.invoke("config.set", {"values": {"llama_cpp.rpc_workers": [w.endpoint for w in ours]}})
    threads = {"threads": args.threads}
    split = {**threads, "rpc": True, "layer_split": [0, 1, 1]}
    contenders: list[Llamadesk] = [
        Llamadesk(app, model, args.tokens, threads, "llamadesk, local", passive=False),
        Llamadesk(app, model, args.tokens, threads, "llamadesk, local, passive threads"),
        Llamadesk(app, model, args.tokens, split, "llamadesk, split over 2 workers"),
        Llamadesk(app, model, args.tokens, {**threads, "rpc": True}, "llamadesk, 2 workers + this machine"),
    ]
    runs: dict[str, list[Run]] = {c.name: [] for c in contenders}
    endpoints = [w.endpoint for w in theirs]
    measures: dict[str, Callable[[], float]] = {
        "llama-bench --rpc (2 ggml-rpc-servers)": lambda: llama_bench(
            bench_bin, model, args.tokens, args.threads, endpoints
        ),
        "llama-bench, local": lambda: llama_bench(bench_bin, model, args.tokens, args.threads, None),
    }
    baseline: dict[str, list[float]] = {name: [] for name in measures}
    paired: list[float] = []  # split / llama-bench --rpc within each round
    try:
        for contender in contenders:  # warm-up: page cache, the workers' first clients
            contender.run()
        for round_ in range(args.rounds):
            for contender in contenders:
                runs[contender.name].append(contender.run())
            for name, measure in measures.items():
                baseline[name].append(measure())
            paired.append(
                runs[contenders[2].name][-1].rate / baseline["llama-bench --rpc (2 ggml-rpc-servers)"][-1]
            )
            log(f"round {round_ + 1}/{args.rounds} done")
        traffic = {
            split: bytes_per_token(app, model, ours, list(split), args.tokens)
            for split in ((0, 1, 1), (0, 1, 3))
        }
    finally:
        app.close()
        for worker in (*ours, *theirs):
            worker.close()
        tmp.cleanup()

    rate = {name: statistics.median(r.rate for r in rs) for name, rs in runs.items()}
    rate |= {name: statistics.median(values) for name, values in baseline.items()}
    load = {c.name: statistics.median(c.load_s) for c in contenders}
    local, passive, ours_split, bench_rpc = (
        "llamadesk, local",
        "llamadesk, local, passive threads",
        contenders[2].name,
        "llama-bench --rpc (2 ggml-rpc-servers)",
    )
    print(
        f"starter model, {args.tokens} tokens, {args.threads} threads, {args.rounds} rounds, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for contender in contenders:
        print(
            f"  {contender.name:40} {rate[contender.name]:7.1f} tok/s   load {load[contender.name]:.2f} s   ({contender.parts})"
        )
    for name in baseline:
        print(f"  {name:40} {rate[name]:7.1f} tok/s")
    print(
        f"split / llama-bench --rpc: {rate[ours_split] / rate[bench_rpc]:.3f}x "
        f"(paired per round {statistics.median(paired):.3f}x; target >= 0.95x)"
    )
    print(
        f"split / local: {rate[ours_split] / rate[passive]:.3f}x tokens/s and {load[ours_split] / load[passive]:.2f}x "
        f"load time against the same wait policy; {rate[ours_split] / rate[local]:.3f}x and "
        f"{load[ours_split] / load[local]:.2f}x against local as shipped"
    )
    print(f"llama-bench --rpc / llama-bench local: {rate[bench_rpc] / rate['llama-bench, local']:.3f}x")
    print(
        "per generated token, on each worker's connection (received by it / sent by it / data segments in, out):"
    )
    for placement, workers in traffic.items():
        for index, worker in enumerate(workers):
            print(
                f"  split {list(placement)}, worker {index + 1} with {worker['layers']:.0f} layers: "
                f"{worker['bytes_received'] / 1024:.1f} KiB / {worker['bytes_sent'] / 1024:.1f} KiB / "
                f"{worker['data_segs_in']:.1f}, {worker['data_segs_out']:.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
