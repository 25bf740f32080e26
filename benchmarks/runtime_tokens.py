"""Tokens/s through llamadesk's full command path against llama.cpp's own baselines.

In one run, same model, prompt, greedy sampling and thread count:

1. raw llama-cpp-python: `Llama.create_chat_completion(stream=True)`
2. `llama-server` (streaming over HTTP), built from the llama.cpp that the installed
   llama-cpp-python vendors
3. `llama-bench` tg from the same build: the ceiling (and, for reference, the same
   with the weights read onto huge pages, as llamadesk loads them: `-lm none` and
   glibc's huge page tunable; see lib/huge_pages.py)
4. llamadesk: `runtime.generate` through the command table (worker process, pipe,
   events), exactly as the UI and CLI call it

It prints tokens/s (after the first token), ratios, the time to first token added
over raw, and stop latency (cancel -> result returned). Run:

    .venv/bin/python benchmarks/runtime_tokens.py [--model X.gguf] [--tokens 256] [--threads 2]

The first run builds llama-server and llama-bench (~8 minutes on 2 cores) into
~/.cache/llamadesk-bench and reuses them afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

from pydantic import BaseModel

CACHE = Path(os.environ.get("LLAMADESK_BENCH_CACHE", Path.home() / ".cache" / "llamadesk-bench"))
TEST_CACHE = Path(os.environ.get("LLAMADESK_TEST_CACHE", Path.home() / ".cache" / "llamadesk-tests"))
PROMPT = [{"role": "user", "content": "Write a long story about a cat who travels the world."}]
CONTEXT = 2048
# The baselines run as they come. Loading a model through llamadesk adds glibc's huge
# page tunable to this process's environment, so they get a copy taken before that.
BASELINE_ENV = dict(os.environ)
HUGE_PAGE_ENV = {**BASELINE_ENV, "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- llama.cpp tools, built once from the sdist of the installed llama-cpp-python ---


def llama_tools() -> tuple[Path, Path]:
    server, bench = build_llama_tools("build", ["llama-server", "llama-bench"])
    return server, bench


def build_llama_tools(build: str, targets: list[str], cmake_args: tuple[str, ...] = ()) -> list[Path]:
    """llama.cpp's programs `targets`, built once (into `build` under the vendored source)."""
    source = llama_source()
    programs = [source / build / "bin" / target for target in targets]
    if all(program.exists() for program in programs):
        return programs
    log(f"building {' and '.join(targets)} (about 8 minutes on 2 cores) ...")
    nice = ["nice", "-n", "19"] if shutil.which("nice") else []
    subprocess.run(
        [*nice, "cmake", "-B", build, "-DLLAMA_CURL=OFF", "-DCMAKE_BUILD_TYPE=Release", *cmake_args],
        cwd=source,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    jobs = str(os.cpu_count() or 2)
    subprocess.run(
        [*nice, "cmake", "--build", build, "-j", jobs, "--target", *targets],
        cwd=source,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return programs


def llama_source() -> Path:
    """The llama.cpp that the installed llama-cpp-python vendors, from its source package
    (downloaded once into the cache)."""
    import llama_cpp

    version = llama_cpp.__version__
    source = CACHE / f"llama_cpp_python-{version}" / "vendor" / "llama.cpp"
    CACHE.mkdir(parents=True, exist_ok=True)
    if not source.exists():
        log(f"downloading the llama-cpp-python {version} source package ...")
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                 f"llama-cpp-python=={version}", "-d", tmp],
                check=True,
            )  # fmt: skip
            (archive,) = Path(tmp).glob("*.tar.gz")
            with tarfile.open(archive) as tar:
                tar.extractall(CACHE, filter="data")
    return source


# --- measurements ---
# The four are set up side by side and measured in rounds, one of each per round, so
# that a machine whose load changes during the run (shared CI boxes) biases none of them.


class Run:
    """Arrival times of one streamed answer, from the client's side."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.times: list[float] = []

    def token(self) -> None:
        self.times.append(time.perf_counter())

    @property
    def ttft_ms(self) -> float:
        return (self.times[0] - self.started) * 1000

    @property
    def rate(self) -> float:
        return (len(self.times) - 1) / (self.times[-1] - self.times[0])


class Raw:
    name = "raw create_chat_completion"

    def __init__(self, model: Path, tokens: int, threads: int) -> None:
        from llama_cpp import Llama

        self.tokens = tokens
        self.llm = Llama(str(model), n_ctx=CONTEXT, n_threads=threads, n_threads_batch=threads, verbose=False)

    def run(self) -> Run:
        run = Run()
        stream = self.llm.create_chat_completion(
            messages=PROMPT, temperature=0, max_tokens=self.tokens, repeat_penalty=1.0, stream=True
        )
        for chunk in stream:
            if chunk["choices"][0]["delta"].get("content"):  # type: ignore[index,union-attr]
                run.token()
        return run

    def close(self) -> None:
        self.llm.close()


class Server:
    name = "llama-server, HTTP stream"

    def __init__(self, server: Path, model: Path, tokens: int, threads: int) -> None:
        self.port = free_port()
        args = [str(server), "-m", str(model), "-t", str(threads), "-tb", str(threads), "-c", str(CONTEXT),
                "--host", "127.0.0.1", "--port", str(self.port), "-np", "1"]  # fmt: skip
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=BASELINE_ENV
        )
        wait_healthy(self.port)
        self.body = json.dumps(
            {
                "messages": PROMPT,
                "temperature": 0,
                "max_tokens": tokens,
                "stream": True,
                "repeat_penalty": 1.0,
            }
        )

    def run(self) -> Run:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        run = Run()
        connection.request("POST", "/v1/chat/completions", self.body, {"Content-Type": "application/json"})
        for line in connection.getresponse():
            if not line.startswith(b"data: ") or line.startswith(b"data: [DONE]"):
                continue
            choices = json.loads(line[6:]).get("choices") or [{}]
            if choices[0].get("delta", {}).get("content"):
                run.token()
        connection.close()
        return run

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Llamadesk:
    name = "llamadesk runtime.generate"

    def __init__(self, model: Path, tokens: int, threads: int) -> None:
        from llamadesk.core.app import App
        from llamadesk.core.paths import AppPaths

        self.tmp = tempfile.TemporaryDirectory()
        root = Path(self.tmp.name)
        self.app = App(AppPaths(root / "c", root / "d", root / "k"), load_entrypoints=False).start()
        options = {"context_size": CONTEXT, "threads": threads}
        self.app.commands.invoke("runtime.load", {"model": str(model), "options": options})
        sampling = {"temperature": 0, "max_tokens": tokens, "repeat_penalty": 1.0}
        self.params = {"model": str(model), "messages": PROMPT, "sampling": sampling}

    def run(self) -> Run:
        from llamadesk.core.models.commands import TokenEvent

        run = Run()

        def on_event(event: BaseModel) -> None:
            if isinstance(event, TokenEvent):
                run.token()

        self.app.commands.start("runtime.generate", self.params, on_event=on_event).result(timeout=300)
        return run

    def close(self) -> None:
        self.app.close()
        self.tmp.cleanup()


def measure_bench(
    bench: Path, model: Path, tokens: int, threads: int, depth: int = 0, huge_pages: bool = False
) -> float:
    args = [str(bench), "-m", str(model), "-t", str(threads), "-p", "0", "-n", str(tokens), "-r", "2",
            "-o", "json"]  # fmt: skip
    if depth:
        args += ["-d", str(depth)]
    if huge_pages:
        args += ["-lm", "none"]
    env = HUGE_PAGE_ENV if huge_pages else BASELINE_ENV
    done = subprocess.run(args, capture_output=True, text=True, check=True, env=env)
    return float(json.loads(done.stdout)[0]["avg_ts"])


def stop_latency(app: object, params: dict[str, object]) -> float:
    """Milliseconds from cancel to the result being returned, mid-stream."""
    from llamadesk.core.models.commands import TokenEvent

    seen = threading.Event()
    count = [0]

    def on_event(event: BaseModel) -> None:
        if isinstance(event, TokenEvent):
            count[0] += 1
            if count[0] == 50:
                seen.set()

    long = {**params, "sampling": {"temperature": 0, "max_tokens": CONTEXT - 200, "repeat_penalty": 1.0}}
    running = app.commands.start("runtime.generate", long, on_event=on_event)  # type: ignore[attr-defined]
    seen.wait(120)
    asked = time.perf_counter()
    running.cancel()
    result = running.result(timeout=60)
    assert result.stop_reason == "cancelled"
    return (time.perf_counter() - asked) * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("llama-server did not become healthy")


def median_of(runs: list[Run]) -> tuple[float, float, int]:
    return (
        statistics.median(r.rate for r in runs),
        statistics.median(r.ttft_ms for r in runs),
        int(statistics.median(len(r.times) for r in runs)),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="GGUF file; default: the starter model")
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.model is None:
        from llamadesk.core.starter_model import ensure_starter_model

        args.model = ensure_starter_model(TEST_CACHE)
    server_bin, bench_bin = llama_tools()

    contenders = [
        Server(server_bin, args.model, args.tokens, args.threads),
        Raw(args.model, args.tokens, args.threads),
        Llamadesk(args.model, args.tokens, args.threads),
    ]
    runs: dict[str, list[Run]] = {c.name: [] for c in contenders}
    bench: list[float] = []
    bench_depth: list[float] = []
    bench_huge: list[float] = []
    try:
        for contender in contenders:
            contender.run()  # warm up: page in weights, fill the prompt cache
        depth = 0
        for round_no in range(1, args.rounds + 1):
            log(f"round {round_no}/{args.rounds}")
            bench.append(measure_bench(bench_bin, args.model, args.tokens, args.threads))
            for contender in contenders:
                runs[contender.name].append(contender.run())
            depth = depth or prompt_depth(contenders[2])
            bench_depth.append(measure_bench(bench_bin, args.model, args.tokens, args.threads, depth))
            bench_huge.append(
                measure_bench(bench_bin, args.model, args.tokens, args.threads, huge_pages=True)
            )
        stops = [stop_latency(contenders[2].app, contenders[2].params) for _ in range(5)]
    finally:
        for contender in contenders:
            contender.close()

    bench_rate, depth_rate = statistics.median(bench), statistics.median(bench_depth)
    huge_rate = statistics.median(bench_huge)
    server_rate, server_ttft, server_n = median_of(runs[Server.name])
    raw_rate, raw_ttft, raw_n = median_of(runs[Raw.name])
    our_rate, our_ttft, our_n = median_of(runs[Llamadesk.name])
    print(f"model {args.model.name}, {args.tokens} tokens, greedy, {args.threads} threads, "
          f"median of {args.rounds} interleaved rounds")  # fmt: skip
    print(f"{'':36} {'tok/s':>8} {'TTFT ms':>8} {'tokens':>7}")
    print(f"{'llama-bench tg (ceiling)':36} {bench_rate:8.1f} {'-':>8} {args.tokens:>7}")
    print(f"{f'llama-bench tg @ depth {depth} (prompt)':36} {depth_rate:8.1f} {'-':>8} {args.tokens:>7}")
    print(f"{'llama-bench tg, huge pages':36} {huge_rate:8.1f} {'-':>8} {args.tokens:>7}")
    print(f"{Server.name:36} {server_rate:8.1f} {server_ttft:8.1f} {server_n:>7}")
    print(f"{Raw.name:36} {raw_rate:8.1f} {raw_ttft:8.1f} {raw_n:>7}")
    print(f"{Llamadesk.name:36} {our_rate:8.1f} {our_ttft:8.1f} {our_n:>7}")
    print(f"llamadesk / llama-server:        {our_rate / server_rate:.3f}x  (target >= 1.0)")
    print(f"llamadesk / llama-bench tg:      {our_rate / bench_rate:.3f}x  (target >= 0.95)")
    print(f"llamadesk / llama-bench @ depth: {our_rate / depth_rate:.3f}x")
    print(
        f"llamadesk / llama-bench, huge:   {our_rate / huge_rate:.3f}x  (the ceiling with llamadesk's loading)"
    )
    ours = [r.rate for r in runs[Llamadesk.name]]
    print(f"  the same, paired within each round (median): "
          f"{paired(ours, [r.rate for r in runs[Server.name]]):.3f}x llama-server, "
          f"{paired(ours, bench):.3f}x llama-bench tg, {paired(ours, bench_depth):.3f}x @ depth, "
          f"{paired(ours, bench_huge):.3f}x huge")  # fmt: skip
    print(f"llamadesk / raw:                 {our_rate / raw_rate:.3f}x")
    print(f"raw / llama-server:              {raw_rate / server_rate:.3f}x")
    print(f"added TTFT over raw:             {our_ttft - raw_ttft:+.1f} ms  (target <= 15)")
    print(f"stop latency:                    median {statistics.median(stops):.1f} ms, "
          f"max {max(stops):.1f} ms (target <= 100)")  # fmt: skip
    return 0


def paired(ours: list[float], theirs: list[float]) -> float:
    """Median of the per-round ratios: a drift in the machine's speed between rounds cancels out."""
    return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def prompt_depth(ours: Llamadesk) -> int:
    """Prompt tokens of the benchmark's chat, so llama-bench can generate at the same depth."""
    result = ours.app.commands.invoke(
        "runtime.generate", {**ours.params, "sampling": {"temperature": 0, "max_tokens": 1}}
    )
    return int(result.usage.prompt_tokens)  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
