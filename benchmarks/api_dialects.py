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
between rounds cannot bias. Also the server process's CPU time per streamed token (the
model worker excluded), which a busy machine moves much less than tokens/s. Target:
every dialect >= 0.97x the OpenAI route.

Run: .venv/bin/python benchmarks/api_dialects.py [--tokens 256] [--rounds 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
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


def server_cpu_seconds(pid: int) -> float:
    """CPU time the server process has used (its own threads; the model worker is a child
    process, not counted): unlike tokens/s, this barely moves with the machine's load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stream_once(
    base: str, dialect: Dialect, tokens: int, cpu: list[float] | None = None, pid: int = 0
) -> Run:
    used = server_cpu_seconds(pid) if cpu is not None else 0.0
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
    if cpu is not None:
        cpu.append((server_cpu_seconds(pid) - used) / max(count, 1))
    return Run(tokens=count, seconds=last - first, first_token_seconds=first - started)


def writer_costs(rounds: int = 7, tokens: int = 2000) -> dict[str, float]:
    """Microseconds of Python per streamed token in each dialect's stream writer, in this
    process, alternated: what a dialect adds on top of the path all of them share (bridge,
    Starlette, uvicorn), measured without the noise of a busy machine."""
    from llamadesk.core.models.commands import TokenEvent
    from llamadesk.core.models.llama import GenerateRequest
    from llamadesk.plugins.api_server.anthropic.stream import MessageStreamWriter
    from llamadesk.plugins.api_server.flow import AnswerWriter
    from llamadesk.plugins.api_server.ollama.stream import OllamaStreamWriter
    from llamadesk.plugins.api_server.ollama.translate import Clock
    from llamadesk.plugins.api_server.responses.stream import ResponseStreamWriter
    from llamadesk.plugins.api_server.responses.translate import ResponseShell
    from llamadesk.plugins.api_server.responses.wire import ResponsesRequest
    from llamadesk.plugins.api_server.sse import ChatChunkWriter

    batches = [[TokenEvent(text=" word")] for _ in range(tokens)]
    shell = ResponseShell(ResponsesRequest(model=MODEL, input="x"), GenerateRequest(model=MODEL, messages=[]))

    def writers() -> dict[str, AnswerWriter]:
        return {
            "openai chat": ChatChunkWriter("id", 0, MODEL),
            "openai responses": ResponseStreamWriter(shell),
            "anthropic messages": MessageStreamWriter(MODEL, thinking=False),
            "ollama chat": OllamaStreamWriter(MODEL, Clock(), chat=True, thinking=True),
            "ollama generate": OllamaStreamWriter(MODEL, Clock(), chat=False, thinking=True),
        }

    taken: dict[str, list[float]] = {name: [] for name in writers()}
    for _ in range(rounds):
        for name, writer in writers().items():
            writer.start()
            started = time.perf_counter()
            for batch in batches:
                writer.events(batch)
            taken[name].append((time.perf_counter() - started) / tokens * 1e6)
    return {name: statistics.median(values) for name, values in taken.items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians are kept")
    args = parser.parse_args()
    model_path = ensure_starter_model(TEST_CACHE)
    costs = writer_costs()
    print(
        "stream writers, Python per token (in-process): "
        + ", ".join(f"{k} {v:.1f} us" for k, v in costs.items())
    )
    print(
        f"model {model_path.name}, {THREADS} threads, greedy, {args.tokens} tokens, {args.rounds} interleaved rounds\n"
    )
    runs: dict[str, list[Run]] = {d.name: [] for d in DIALECTS}
    cpu: dict[str, list[float]] = {d.name: [] for d in DIALECTS}  # server CPU seconds per token
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
                    run = stream_once(base, dialect, args.tokens, cpu[dialect.name], process.pid)
                    runs[dialect.name].append(run)
                print(f"round {number}/{args.rounds}", file=sys.stderr, flush=True)
        finally:
            stop(process)

    baseline = runs[DIALECTS[0].name]
    print(
        f"{'':20} {'tok/s':>7} {'first token':>12} {'tokens':>7} {'/ openai':>9} {'paired':>8} {'server CPU/token':>17}"
    )
    base_cpu = statistics.median(cpu[DIALECTS[0].name])
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
        per_token = statistics.median(cpu[dialect.name])
        print(
            f"{dialect.name:20} {rate:7.1f} {first_ms:9.1f} ms {taken[0].tokens:7d} "
            f"{rate / base_rate:8.3f}x {paired:7.3f}x {per_token * 1e6:7.0f} us ({per_token / base_cpu:.2f}x) {verdict}"
        )
    print(f"\ntarget: every dialect >= {TARGET:.2f}x the OpenAI route (paired per round)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
