"""A long day: `llamadesk serve` through 1,000 requests while chats and pulls go on beside it.

Four client threads send streaming chat completions of the starter model (short answers)
to `llamadesk serve`; a third of them hang up mid-stream (after the first token, or
before it). Interleaved, the benchmark's own App sends chat messages (`chat.send` through
the command table, into the same chats.db as the server's home) and pulls a small model
from a local docker-registry (`models.pull`, some cancelled midway and pulled again, then
`models.rm`). It reports:

- errors: requests that did not end as they should (a completed stream without its
  `[DONE]`, a status other than 200, a client exception), failed chat sends or pulls,
  and tracebacks in the server's log (target: 0 unexpected);
- the server process's RSS after 100 and after all requests (target: growth <= 10%),
  and its model worker's;
- the server's open file descriptors at the same two points (target: no growth);
- worker processes left after the server and the App stopped (target: 0);
- partial download files left in the models folder (target: 0).

Run: .venv/bin/python benchmarks/soak.py [--requests 1000] [--clients 4] [--max-tokens 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a script too

from llamadesk.core.starter_model import ensure_starter_model
from tests.gguf_writer import write_gguf
from tests.plugins.oci.registry_server import Blob, RegistryServer

TEST_CACHE = Path(os.environ.get("LLAMADESK_TEST_CACHE", Path.home() / ".cache" / "llamadesk-tests"))
BIN = Path(sys.executable).parent
PROMPTS = [
    "Say hello in three words.",
    "Name a colour.",
    "What is two plus two?",
    "Give me one word that rhymes with cat.",
    "Write a very short greeting.",
]
SMALL_MODEL_MB = 24  # the pulled model: big enough that a pull can be cancelled midway


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: int = 0
    completed: int = 0
    hung_up: int = 0
    errors: list[str] = field(default_factory=list)
    chat_sends: int = 0
    pulls: int = 0
    cancelled_pulls: int = 0
    stop: threading.Event = field(default_factory=threading.Event)  # set on Ctrl+C: clients end

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)
            if len(self.errors) <= 10:
                print(f"  unexpected: {text}", file=sys.stderr, flush=True)


def start_server(home: Path, model_path: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "LLAMADESK_HOME": str(home)}
    llamadesk = str(BIN / "llamadesk")
    params = json.dumps({"path": str(model_path), "in_place": True, "name": "smollm2"})
    subprocess.run(
        [llamadesk, "call", "models.import", "--json", params], env=env, check=True, capture_output=True
    )
    # One thread a model: the server's model and the App's (chat sends) share 2 cores with the
    # clients; llama.cpp's spinning threads slow everything down many times when oversubscribed.
    for key, value in (("load.threads", "1"), ("load.context_size", "2048")):
        subprocess.run([llamadesk, "config", "set", key, value], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [llamadesk, "-v", "serve", "--port", "0"], env=env, stdout=subprocess.PIPE, stderr=log.open("wb")
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    url = next(word for word in line.split() if word.startswith("http://")).rstrip(".")
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url.removesuffix("/v1") + "/health", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("llamadesk serve did not start") from None
            time.sleep(0.2)
    return process, url


def one_request(base: str, kind: str, max_tokens: int, tally: Tally) -> None:
    """kind: complete, hangup-after-first (mid-stream), hangup-before-first."""
    parts = base.removeprefix("http://").split("/", 1)
    host, port = parts[0].split(":")
    body = json.dumps(
        {
            "model": "smollm2",
            "messages": [{"role": "user", "content": random.choice(PROMPTS)}],
            "stream": True,
            "max_tokens": max_tokens,
            "temperature": 0.7,
        }
    )
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        if kind == "hangup-before-first":
            time.sleep(random.uniform(0.0, 0.05))
            conn.sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
            with tally.lock:
                tally.hung_up += 1
            return
        response = conn.getresponse()
        if response.status != 200:
            tally.error(f"status {response.status}: {response.read(300)!r}")
            return
        seen_token = seen_done = False
        while line := response.readline():
            if line.startswith(b"data: [DONE]"):
                seen_done = True
                break
            if line.startswith(b"data: ") and b'"content"' in line:
                seen_token = True
                if kind == "hangup-after-first":
                    conn.sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
                    with tally.lock:
                        tally.hung_up += 1
                    return
        if kind == "hangup-after-first" and not seen_token:
            with tally.lock:  # an answer with no content at all: nothing to hang up on
                tally.completed += 1
            return
        if not seen_done:
            tally.error("a stream ended without [DONE]")
            return
        with tally.lock:
            tally.completed += 1
    except (OSError, http.client.HTTPException) as exc:
        tally.error(f"{kind}: {type(exc).__name__}: {exc}")
    finally:
        conn.close()
        with tally.lock:
            tally.done += 1


def clients(
    base: str, total: int, count: int, max_tokens: int, tally: Tally, at_100: threading.Event
) -> None:
    kinds = ["complete", "complete", "complete", "complete", "hangup-after-first", "hangup-before-first"]
    next_index = iter(range(total))
    index_lock = threading.Lock()

    def run() -> None:
        while True:
            with index_lock:
                index = next(next_index, None)
            if index is None or tally.stop.is_set():
                return
            one_request(base, kinds[index % len(kinds)], max_tokens, tally)
            if tally.done >= min(100, total):
                at_100.set()

    threads = [threading.Thread(target=run, name=f"client-{i}", daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def workers_of(process: psutil.Process) -> set[int]:
    """Model worker processes (multiprocessing spawn children) under `process`."""
    found = set()
    for child in process.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.add(child.pid)
        except psutil.Error:
            continue
    return found


def still_running(pids: set[int], wait_s: float = 15) -> list[int]:
    deadline = time.monotonic() + wait_s
    while True:
        left = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    left.append(pid)
            except psutil.NoSuchProcess:
                continue
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def snapshot(process: psutil.Process) -> dict[str, float]:
    children = process.children(recursive=True)
    return {
        "rss_mb": process.memory_info().rss / 1e6,
        "fds": process.num_fds(),
        "worker_rss_mb": sum(c.memory_info().rss for c in children) / 1e6,
        "workers": len(children),
    }


def small_model(folder: Path) -> tuple[Blob, list[Blob]]:
    gguf = write_gguf(
        folder / "tiny.gguf",
        {"general.architecture": "llama", "general.name": "soak tiny"},
        padding=os.urandom(SMALL_MODEL_MB * 1024 * 1024),
    )
    weights = Blob("application/vnd.ollama.image.model", path=gguf)
    config = Blob(
        "application/vnd.docker.container.image.v1+json",
        data=json.dumps({"model_format": "gguf", "rootfs": {"diff_ids": [weights.digest]}}).encode(),
    )
    return config, [weights]


def beside_the_server(app, ref: str, stop: threading.Event, tally: Tally, max_tokens: int) -> None:
    """Chat sends and pulls through the command table, in turns, until the clients are done."""
    from llamadesk.core.commands import CommandError

    session = app.commands.invoke("chat.new", {"model": "smollm2"}).id
    turn = 0
    while not stop.is_set():
        turn += 1
        try:
            if turn % 3:
                app.commands.invoke(
                    "chat.send",
                    {
                        "session_id": session,
                        "content": random.choice(PROMPTS),
                        "sampling": {"max_tokens": max_tokens},
                    },
                )
                tally.chat_sends += 1
            else:
                pull_and_remove(app, ref, tally, cancel_midway=turn % 2 == 0)
        except CommandError as exc:
            tally.error(f"beside the server: {exc.code}: {exc.message}")
        stop.wait(1.0)


def pull_and_remove(app, ref: str, tally: Tally, *, cancel_midway: bool) -> None:
    from llamadesk.core.commands import CommandError

    if cancel_midway:
        running = app.commands.start("models.pull", {"reference": ref})
        time.sleep(random.uniform(0.02, 0.1))
        running.cancel()
        try:
            running.result(timeout=60)
        except CommandError as exc:
            if exc.code != "cancelled":
                raise
            tally.cancelled_pulls += 1
    app.commands.invoke("models.pull", {"reference": ref})  # resumes the partial, if one was left
    app.commands.invoke("models.rm", {"reference": ref})
    tally.pulls += 1


def soak(app, process: subprocess.Popen[bytes], base: str, ref: str, args: argparse.Namespace, tally: Tally):
    """Run the clients and the work beside them; snapshots of the server, and the worker pids seen."""
    server, here = psutil.Process(process.pid), psutil.Process()
    workers_seen: set[int] = set()
    stop_beside = threading.Event()
    at_100 = threading.Event()
    beside = threading.Thread(
        target=beside_the_server,
        args=(app, ref, stop_beside, tally, args.max_tokens),
        name="beside",
        daemon=True,
    )
    numbers: dict = {"start": snapshot(server)}
    client_thread = threading.Thread(
        target=clients, args=(base, args.requests, args.clients, args.max_tokens, tally, at_100), daemon=True
    )
    client_thread.start()
    beside.start()
    try:
        while not at_100.wait(1.0):
            workers_seen |= workers_of(server) | workers_of(here)
        numbers["after_100"] = snapshot(server)
        while client_thread.is_alive():
            workers_seen |= workers_of(server) | workers_of(here)
            client_thread.join(1.0)
            print(f"  {tally.done}/{args.requests} requests", file=sys.stderr, end="\r", flush=True)
        numbers["end"] = snapshot(server)
    finally:
        stop_beside.set()
        tally.stop.set()
        beside.join(120)
    workers_seen |= workers_of(server) | workers_of(here)
    numbers["workers_seen"] = workers_seen
    return numbers


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=8)
    args = parser.parse_args()
    random.seed(1)
    model_path = ensure_starter_model(TEST_CACHE)
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="llamadesk-soak-") as tmp:
        root = Path(tmp)
        home = root / "home"
        server_log = root / "serve.log"
        with RegistryServer(root / "registry") as registry:
            config, layers = small_model(root)
            registry.push_model("soak/tiny", "latest", config, layers)
            ref = f"{registry.host}/soak/tiny:latest"
            process, base = start_server(home, model_path, server_log)
            try:
                os.environ["LLAMADESK_HOME"] = str(home)
                from llamadesk.core.app import App

                app = App(load_entrypoints=False).start()
                try:
                    numbers = soak(app, process, base, ref, args, tally)
                finally:
                    app.close()
            finally:
                process.terminate()
                process.wait(30)
            workers_seen = numbers.pop("workers_seen")
            left = still_running(workers_seen)
            partial_dir = home / "data" / "models" / ".llamadesk" / "partial"
            partials = sorted(p.name for p in partial_dir.iterdir()) if partial_dir.is_dir() else []
        tracebacks = server_log.read_text(errors="replace").count("Traceback")
    elapsed = time.monotonic() - started

    at_start, after_100, at_end = numbers["start"], numbers["after_100"], numbers["end"]
    growth = (at_end["rss_mb"] - after_100["rss_mb"]) / after_100["rss_mb"] * 100
    unexpected = len(tally.errors) + tracebacks
    print(
        f"\nsoak: {args.requests} requests from {args.clients} clients in {elapsed:.0f} s "
        f"(max_tokens {args.max_tokens}, one thread a model; load average {os.getloadavg()[0]:.1f})"
    )
    print(f"  completed {tally.completed}, hung up mid-stream or before the first token {tally.hung_up}")
    print(
        f"  beside the server: {tally.chat_sends} chat sends, {tally.pulls} pulls "
        f"({tally.cancelled_pulls} cancelled midway and resumed)"
    )
    print(f"  unexpected errors: {len(tally.errors)}, tracebacks in the server log: {tracebacks}  (target 0)")
    print(
        f"  server RSS: start {at_start['rss_mb']:.1f} MB, after 100 {after_100['rss_mb']:.1f} MB, "
        f"after {args.requests} {at_end['rss_mb']:.1f} MB: growth {growth:+.1f}% (target <= 10%)"
    )
    print(
        f"  model worker RSS: after 100 {after_100['worker_rss_mb']:.1f} MB, "
        f"after {args.requests} {at_end['worker_rss_mb']:.1f} MB"
    )
    print(
        f"  server open fds: after 100 {after_100['fds']:.0f}, after {args.requests} {at_end['fds']:.0f} (target: no growth)"
    )
    print(f"  worker processes left after stopping: {len(left)} of {len(workers_seen)} seen (target 0)")
    print(f"  partial download files left: {len(partials)} {partials if partials else ''}(target 0)")
    ok = unexpected == 0 and growth <= 10 and at_end["fds"] <= after_100["fds"] and not left and not partials
    print("  -> " + ("all targets met" if ok else "TARGETS MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
