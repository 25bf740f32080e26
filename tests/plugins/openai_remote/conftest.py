"""Real servers for the remote backends: llama-cpp-python's own OpenAI server on 127.0.0.1,
and a "llama-server binary" that is a small script running that same server with
llama-server's flags (no GPU, no llama.cpp build needed)."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

STARTUP_GUARD_SECONDS = 120  # hang guard only: it starts in about 2 s
SERVER_KEY = "remote-secret"


@dataclass
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]
    model_id: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_answers(url: str, process: subprocess.Popen[bytes], headers: dict[str, str]) -> None:
    deadline = time.monotonic() + STARTUP_GUARD_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {STARTUP_GUARD_SECONDS} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def llama_cpp_server(starter_model: Path) -> Iterator[RunningServer]:
    """`python -m llama_cpp.server` with the starter model, requiring SERVER_KEY."""
    port = free_port()
    args = [sys.executable, "-m", "llama_cpp.server", "--model", str(starter_model)]
    args += ["--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--n_ctx", "2048"]
    args += ["--model_alias", "smollm2", "--api_key", SERVER_KEY]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_answers(base_url + "/models", process, {"Authorization": f"Bearer {SERVER_KEY}"})
        yield RunningServer(base_url=base_url, process=process, model_id="smollm2")
    finally:
        stop(process)


WRAPPER = """\
#!{python}
# Stands in for llama.cpp's llama-server: takes its flags, runs llama_cpp.server.
import argparse, os, sys
parser = argparse.ArgumentParser()
parser.add_argument("--model", "-m")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", default="8080")
parser.add_argument("--ctx-size", "-c", default="2048")
parser.add_argument("--batch-size", "-b", default="512")
parser.add_argument("--n-gpu-layers", "-ngl", default="0")
parser.add_argument("--threads", "-t", default="2")
parser.add_argument("--seed")
args, _unknown = parser.parse_known_args()
print("fake llama-server starting", args.model, flush=True)
os.execv(sys.executable, [
    sys.executable, "-m", "llama_cpp.server", "--model", args.model, "--host", args.host,
    "--port", args.port, "--n_ctx", args.ctx_size, "--n_batch", args.batch_size,
    "--n_gpu_layers", "0", "--n_threads", args.threads,
])
"""


@pytest.fixture
def fake_llama_server(tmp_path: Path) -> Path:
    """An executable with llama-server's command line that runs llama_cpp.server."""
    path = tmp_path / "bin" / "llama-server"
    path.parent.mkdir()
    path.write_text(WRAPPER.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def failing_llama_server(tmp_path: Path) -> Path:
    """A llama-server that prints an error and exits, like one given a broken model."""
    path = tmp_path / "bin" / "broken-llama-server"
    path.parent.mkdir(exist_ok=True)
    path.write_text("#!/bin/sh\necho 'error: failed to load model' >&2\nexit 3\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path
