"""Streaming through each dialect of `llamadesk serve` against its OpenAI route, in one run.

One server (the starter model, 2 threads), the same greedy answer asked for through:

- OpenAI `/v1/chat/completions` (the baseline),
- OpenAI `/v1/responses`,
- Anthropic `/v1/messages`,
- Ollama `/api/chat` and `/api/generate`.

Every dialect is read by the same small HTTP client (`http.client`, one line at a time),
so what differs is the server's path only, not how heavy an SDK's parsing is. Tokens/s
counts the text events from the first to the last; first-token latency is from sending
the request. Interleaved rounds (one of each per round, each round starting with the next
dialect), the median of each kept, and
the per-round ratio to the OpenAI route (median), which a drift of the machine's speed
between rounds cannot bias. Target: every dialect >= 0.97x the OpenAI route.

Run: .venv/bin/python benchmarks/api_dialects.py [--tokens 256] [--rounds 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from api_streaming import (
    TEST_CACHE,
    THREADS,
    Run,
    start_llamadesk,
    stop,
)  # run as a script: benchmarks/ is on the path

from llamadesk.core.starter_model import ensure_starter_model

PROMPT = "Write a long story about a lighthouse keeper who finds a map. Use many details."
TARGET = 0.97
MODEL = "smollm2"


@dataclass(frozen=True)
class Dialect:
    name: str
    path: str
    body: Callable[[int], dict[str, object]]
    text_of: Callable[[bytes], str | None]  # one line of the stream -> its text, if it holds some


def _sse_json(line: bytes) -> dict[str, object] | None:
    if not line.startswith(b"data: {"):
        return None
    data: dict[str, object] = json.loads(line[6:])
    return data


def _openai_chat_text(line: bytes) -> str | None:
    data = _sse_json(line)
    choices = data.get("choices") if data else None
    if not choices or not isinstance(choices, list):
        return None
    delta = choices[0].get("delta", {})
    text = delta.get("content")
    return text if isinstance(text, str) and text else None


def _responses_text(line: bytes) -> str | None:
    data = _sse_json(line)
    if data and data.get("type") == "response.output_text.delta":
        return str(data["delta"])
    return None


def _anthropic_text(line: bytes) -> str | None:
    data = _sse_json(line)
    if data and data.get("type") == "content_block_delta":
        delta = data["delta"]
        assert isinstance(delta, dict)
        return str(delta.get("text", "")) or None
    return None


def _ollama_text(key: str) -> Callable[[bytes], str | None]:
    def text_of(line: bytes) -> str | None:
        if not line.startswith(b"{"):
            return None
        data = json.loads(line)
        if data.get("done"):
            return None
        value = data["message"]["content"] if key == "message" else data["response"]
        return str(value) or None

    return text_of


MESSAGES = [{"role": "user", "content": PROMPT}]
DIALECTS = [
    Dialect(
        "openai chat",
        "/v1/chat/completions",
        lambda n: {
            "model": MODEL,
            "messages": MESSAGES,
            "stream": True,
            "max_tokens": n,
            "temperature": 0,
            "seed": 1,
        },
        _openai_chat_text,
    ),
    Dialect(
        "openai responses",
        "/v1/responses",
        lambda n: {"model": MODEL, "input": PROMPT, "stream": True, "max_output_tokens": n, "temperature": 0},
        _responses_text,
    ),
    Dialect(
        "anthropic messages",
        "/v1/messages",
        lambda n: {"model": MODEL, "messages": MESSAGES, "stream": True, "max_tokens": n, "temperature": 0},
        _anthropic_text,
    ),
    Dialect(
        "ollama chat",
        "/api/chat",
        lambda n: {
            "model": MODEL,
            "messages": MESSAGES,
            "options": {"num_predict": n, "temperature": 0, "seed": 1},
        },
        _ollama_text("message"),
    ),
    Dialect(
        "ollama generate",
        "/api/generate",
        lambda n: {
            "model": MODEL,
            "prompt": PROMPT,
            "options": {"num_predict": n, "temperature": 0, "seed": 1},
        },
        _ollama_text("response"),
    ),
]


def stream_once(base: str, dialect: Dialect, tokens: int) -> Run:
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    body = json.dumps(dialect.body(tokens))
    started = time.perf_counter()
    connection.request("POST", dialect.path, body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"{dialect.name}: HTTP {response.status}: {response.read()[:300]!r}")
    first = last = 0.0
    count = 0
    while line := response.readline():
        if dialect.text_of(line.rstrip(b"\n")):
            last = time.perf_counter()
            if count == 0:
                first = last
            count += 1
    connection.close()
    return Run(tokens=count, seconds=last - first, first_token_seconds=first - started)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians are kept")
    args = parser.parse_args()
    model_path = ensure_starter_model(TEST_CACHE)
    print(
        f"model {model_path.name}, {THREADS} threads, greedy, {args.tokens} tokens, {args.rounds} interleaved rounds\n"
    )
    runs: dict[str, list[Run]] = {d.name: [] for d in DIALECTS}
    with tempfile.TemporaryDirectory(prefix="llamadesk-bench-") as home:
        process, url = start_llamadesk(model_path, Path(home))
        base = url.removesuffix("/v1")
        try:
            for dialect in DIALECTS:
                stream_once(base, dialect, 8)  # warm-up: loads the model, fills caches
            for number in range(1, args.rounds + 1):
                # Each round starts with another dialect: no route always runs first (or last).
                shift = number % len(DIALECTS)
                for dialect in DIALECTS[shift:] + DIALECTS[:shift]:
                    runs[dialect.name].append(stream_once(base, dialect, args.tokens))
                print(f"round {number}/{args.rounds}", file=sys.stderr, flush=True)
        finally:
            stop(process)

    baseline = runs[DIALECTS[0].name]
    print(f"{'':20} {'tok/s':>7} {'first token':>12} {'tokens':>7} {'/ openai':>9} {'paired':>8}")
    met = True
    for dialect in DIALECTS:
        taken = runs[dialect.name]
        rate = statistics.median(r.tokens_per_second for r in taken)
        first_ms = statistics.median(r.first_token_seconds for r in taken) * 1000
        base_rate = statistics.median(r.tokens_per_second for r in baseline)
        paired = statistics.median(
            r.tokens_per_second / b.tokens_per_second for r, b in zip(taken, baseline, strict=True)
        )
        verdict = ""
        if dialect is not DIALECTS[0]:
            ok = paired >= TARGET
            met &= ok
            verdict = "meets" if ok else "MISSES"
        print(
            f"{dialect.name:20} {rate:7.1f} {first_ms:9.1f} ms {taken[0].tokens:7d} "
            f"{rate / base_rate:8.3f}x {paired:7.3f}x {verdict}"
        )
    print(f"\ntarget: every dialect >= {TARGET:.2f}x the OpenAI route (paired per round)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
