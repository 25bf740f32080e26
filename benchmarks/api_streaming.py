"""Streaming speed of `llamadesk serve` against other OpenAI-compatible servers.

The same client (the official `openai` package, streaming) asks each server for the same
greedy completion of the starter model with 2 threads:

- `llamadesk serve` (this app: command table, runtime, model worker),
- `python -m llama_cpp.server` (llama-cpp-python's own server),
- llama.cpp's `llama-server`, if the runtime benchmark built it under
  ~/.cache/llamadesk-bench (it is not built here).

Tokens/s counts streamed content chunks from the first to the last. All three servers
run side by side and are measured in interleaved rounds (median kept). Then four clients
stream from `llamadesk serve` at once: all must complete.

Run: .venv/bin/python benchmarks/api_streaming.py [--tokens 256] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from openai import OpenAI

from llamadesk.core.starter_model import ensure_starter_model

THREADS = 2
TEST_CACHE = Path(os.environ.get("LLAMADESK_TEST_CACHE", Path.home() / ".cache" / "llamadesk-tests"))
BENCH_CACHE = Path.home() / ".cache" / "llamadesk-bench"
PROMPT = "Write a long story about a lighthouse keeper who finds a map. Use many details."
TARGETS = {"llama_cpp.server": 1.05, "llama-server": 0.97}
BIN = Path(sys.executable).parent


@dataclass
class Run:
    tokens: int
    seconds: float  # first to last token
    first_token_seconds: float

    @property
    def tokens_per_second(self) -> float:
        return (self.tokens - 1) / self.seconds if self.seconds > 0 else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {timeout} s")


def stream_once(base_url: str, model: str, max_tokens: int) -> Run:
    client = OpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=600)
    started = time.perf_counter()
    first = last = 0.0
    tokens = 0
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        max_tokens=max_tokens,
        temperature=0,
        seed=1,
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            last = time.perf_counter()
            if tokens == 0:
                first = last
            tokens += 1
    return Run(tokens=tokens, seconds=last - first, first_token_seconds=first - started)


def measure_rounds(servers: dict[str, str], model: str, max_tokens: int, rounds: int) -> dict[str, Run]:
    """Interleaved rounds (one run of each server per round), the median run of each kept:
    a shared machine whose load drifts during the benchmark then biases none of them."""
    for url in servers.values():
        stream_once(url, model, 8)  # warm-up: loads the model, fills caches
    runs: dict[str, list[Run]] = {name: [] for name in servers}
    for number in range(1, rounds + 1):
        for name, url in servers.items():
            runs[name].append(stream_once(url, model, max_tokens))
        print(f"round {number}/{rounds}", file=sys.stderr, flush=True)
    medians: dict[str, Run] = {}
    for name, taken in runs.items():
        run = sorted(taken, key=lambda r: r.tokens_per_second)[len(taken) // 2]
        medians[name] = run
        each = ", ".join(f"{r.tokens_per_second:.1f}" for r in taken)
        print(
            f"{name:18s} {run.tokens_per_second:7.1f} tok/s  ({run.tokens} tokens, "
            f"first token {run.first_token_seconds * 1000:.0f} ms; rounds: {each})",
            flush=True,
        )
    return medians


def start_llamadesk(model_path: Path, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "LLAMADESK_HOME": str(home)}
    llamadesk = str(BIN / "llamadesk")
    subprocess.run(
        [
            llamadesk,
            "call",
            "models.import",
            "--json",
            f'{{"path": "{model_path}", "in_place": true, "name": "smollm2"}}',
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [llamadesk, "config", "set", "load.threads", str(THREADS)], env=env, check=True, capture_output=True
    )
    process = subprocess.Popen(
        [llamadesk, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    url = next(word for word in line.split() if word.startswith("http://")).rstrip(".")
    wait_for(url.removesuffix("/v1") + "/health", process)
    return process, url


def start_llama_cpp_server(model_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--host", "127.0.0.1"]
    args += ["--port", str(port), "--n_threads", str(THREADS), "--n_ctx", "2048", "--model_alias", "smollm2"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    wait_for(url + "/models", process)
    return process, url


def find_llama_server() -> Path | None:
    candidates = sorted(BENCH_CACHE.glob("**/bin/llama-server")) if BENCH_CACHE.is_dir() else []
    return next((path for path in candidates if os.access(path, os.X_OK)), None)


def start_llama_server(binary: Path, model_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [str(binary), "--model", str(model_path), "--host", "127.0.0.1", "--port", str(port)]
    args += ["--threads", str(THREADS), "--ctx-size", "2048", "--parallel", "1"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    wait_for(url.removesuffix("/v1") + "/health", process)
    return process, url


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def concurrent_clients(base_url: str, model: str, clients: int, max_tokens: int) -> bool:
    results: list[Run | BaseException] = []
    lock = threading.Lock()

    def client() -> None:
        try:
            run: Run | BaseException = stream_once(base_url, model, max_tokens)
        except BaseException as exc:
            run = exc
        with lock:
            results.append(run)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    wall = time.perf_counter() - started
    runs = [r for r in results if isinstance(r, Run)]
    ok = len(runs) == clients and all(r.tokens > 0 for r in runs)
    waits = ", ".join(
        f"{r.first_token_seconds:.2f}" for r in sorted(runs, key=lambda r: r.first_token_seconds)
    )
    print(
        f"{clients} concurrent clients: {len(runs)}/{clients} completed in {wall:.1f} s; "
        f"first tokens after [{waits}] s  -> {'OK' if ok else 'FAILED'}",
        flush=True,
    )
    for failure in (r for r in results if not isinstance(r, Run)):
        print(f"  client failed: {failure!r}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved runs of each; the median is kept")
    args = parser.parse_args()
    model_path = ensure_starter_model(TEST_CACHE)
    print(
        f"model {model_path.name}, {THREADS} threads, greedy, up to {args.tokens} tokens, "
        f"median of {args.rounds} interleaved rounds\n"
    )

    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="llamadesk-bench-") as home:
        try:
            servers: dict[str, str] = {}
            process, servers["llamadesk serve"] = start_llamadesk(model_path, Path(home))
            processes.append(process)
            process, servers["llama_cpp.server"] = start_llama_cpp_server(model_path)
            processes.append(process)
            binary = find_llama_server()
            if binary is None:
                print(
                    f"llama-server not built under {BENCH_CACHE} (the runtime benchmark builds it); skipped"
                )
            else:
                process, servers["llama-server"] = start_llama_server(binary, model_path)
                processes.append(process)
            runs = measure_rounds(servers, "smollm2", args.tokens, args.rounds)
            speeds = {name: run.tokens_per_second for name, run in runs.items()}
        finally:
            for process in processes:
                stop(process)

        print()
        met = True
        for baseline, target in TARGETS.items():
            if baseline in speeds and speeds[baseline] > 0:
                ratio = speeds["llamadesk serve"] / speeds[baseline]
                verdict = "meets" if ratio >= target else "MISSES"
                met &= ratio >= target
                print(f"llamadesk serve / {baseline}: {ratio:.3f}x  (target >= {target:.2f}x: {verdict})")
        print()

        process, url = start_llamadesk(model_path, Path(home) / "concurrent")
        try:
            stream_once(url, "smollm2", 4)
            all_done = concurrent_clients(url, "smollm2", 4, 64)
        finally:
            stop(process)
    return 0 if met and all_done else 1


if __name__ == "__main__":
    sys.exit(main())
