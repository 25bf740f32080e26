"""Several API clients at once: aggregate tokens/s of `llamadesk serve` with N slots
against llama-server with -np N (same model, threads and per-slot context), and against
llamadesk serving the same requests one by one.

Each of N clients streams a greedy completion of its own prompt (max_tokens each); the
aggregate is all streamed chunks over the wall time from the first request to the last
chunk. Both servers run side by side and are measured in interleaved rounds (median).

Run: .venv/bin/python benchmarks/parallel_slots.py [--clients 4] [--tokens 128] [--rounds 3]
Needs llama-server built by benchmarks/runtime_tokens.py (~/.cache/llamadesk-bench).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from api_streaming import BIN, THREADS, find_llama_server, free_port, stop, wait_for
from openai import OpenAI

from llamadesk.core.starter_model import ensure_starter_model

TEST_CACHE = Path(os.environ.get("LLAMADESK_TEST_CACHE", Path.home() / ".cache" / "llamadesk-tests"))
CONTEXT = 2048  # per slot
TOPICS = ["a lighthouse keeper", "a travelling cat", "a clockmaker", "a desert caravan"]


def prompt(number: int) -> str:
    topic = TOPICS[number % len(TOPICS)]
    return f"Write a long story about {topic} (story {number}). Use many details."


def stream(base_url: str, model: str, number: int, max_tokens: int) -> int:
    client = OpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=600)
    chunks = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": prompt(number)}],
        stream=True,
        max_tokens=max_tokens,
        temperature=0,
    )
    return sum(1 for c in chunks if c.choices and c.choices[0].delta.content)


def together(base_url: str, model: str, clients: int, max_tokens: int) -> float:
    """Aggregate tokens/s of `clients` streams at once."""
    counts = [0] * clients

    def client(number: int) -> None:
        counts[number] = stream(base_url, model, number, max_tokens)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def one_by_one(base_url: str, model: str, clients: int, max_tokens: int) -> float:
    started = time.perf_counter()
    total = sum(stream(base_url, model, n, max_tokens) for n in range(clients))
    return total / (time.perf_counter() - started)


def start_llamadesk(
    model_path: Path, home: Path, slots: int, draft: str
) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "LLAMADESK_HOME": str(home)}
    llamadesk = str(BIN / "llamadesk")
    model = f'{{"path": "{model_path}", "in_place": true, "name": "smollm2"}}'
    subprocess.run(
        [llamadesk, "call", "models.import", "--json", model], env=env, check=True, capture_output=True
    )
    settings = {
        "load.threads": THREADS,
        "load.parallel": slots,
        "load.context_size": CONTEXT,
        "load.draft": draft,
    }
    for key, value in settings.items():
        subprocess.run(
            [llamadesk, "config", "set", key, str(value)], env=env, check=True, capture_output=True
        )
    process = subprocess.Popen(
        [llamadesk, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    url = next(word for word in line.split() if word.startswith("http://")).rstrip(".")
    wait_for(url.removesuffix("/v1") + "/health", process)
    return process, url


def start_llama_server(
    binary: Path, model_path: Path, slots: int, cache_k: str
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [str(binary), "--model", str(model_path), "--host", "127.0.0.1", "--port", str(port)]
    args += ["--threads", str(THREADS), "--ctx-size", str(CONTEXT * slots), "--parallel", str(slots)]
    args += ["--flash-attn", "on", "--cache-type-k", cache_k]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    wait_for(url.removesuffix("/v1") + "/health", process)
    return process, url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--server-cache-k",
        default="f16",
        help="llama-server's keys cache type: f16 (its default) or q8_0 (llamadesk's default)",
    )
    parser.add_argument("--draft", default="auto", help="llamadesk's load.draft (auto: its default)")
    args = parser.parse_args()
    binary = find_llama_server()
    if binary is None:
        raise SystemExit("llama-server is not built: run benchmarks/runtime_tokens.py once")
    model_path = ensure_starter_model(TEST_CACHE)
    with tempfile.TemporaryDirectory() as home:
        ours, our_url = start_llamadesk(model_path, Path(home), args.clients, args.draft)
        theirs, their_url = start_llama_server(binary, model_path, args.clients, args.server_cache_k)
        try:
            model = "smollm2"
            for url, name in ((our_url, model), (their_url, "x")):
                stream(url, name, 0, 8)  # warm up (llamadesk loads the model here)
            rates: dict[str, list[float]] = {"llamadesk": [], "llama-server": [], "one by one": []}
            for number in range(1, args.rounds + 1):
                rates["llamadesk"].append(together(our_url, model, args.clients, args.tokens))
                rates["llama-server"].append(together(their_url, "x", args.clients, args.tokens))
                rates["one by one"].append(one_by_one(our_url, model, args.clients, args.tokens))
                print(f"round {number}/{args.rounds}", file=sys.stderr, flush=True)
        finally:
            stop(ours)
            stop(theirs)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(
        f"{args.clients} concurrent streams of {args.tokens} tokens, {THREADS} threads, starter model; "
        f"llama-server keys cache {args.server_cache_k}"
    )
    for name, values in rates.items():
        each = ", ".join(f"{v:.1f}" for v in values)
        print(f"{name:14s} {medians[name]:7.1f} tok/s aggregate  (rounds: {each})")
    ratio = medians["llamadesk"] / medians["llama-server"]
    pairs = [ours / theirs for ours, theirs in zip(rates["llamadesk"], rates["llama-server"], strict=True)]
    print(
        f"llamadesk / llama-server -np {args.clients}: {ratio:.3f}x  (target >= 1.0); "
        f"rounds {[round(r, 3) for r in pairs]}"
    )
    print(
        f"llamadesk together / one by one: {medians['llamadesk'] / medians['one by one']:.3f}x  (target >= 2)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
