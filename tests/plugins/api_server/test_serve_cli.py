"""`llamadesk serve` as a user runs it: prints its URL, serves, stops on Ctrl+C or SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.cli.helpers import BIN, run_cli

HANG_GUARD_SECONDS = 60


def start_serve(home: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "LLAMADESK_HOME": str(home)}
    process = subprocess.Popen(
        [str(BIN), "serve", "--port", "0", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "Serving the OpenAI-compatible API at http://127.0.0.1:" in line, process.stderr.read()
    url = next(word for word in line.split() if word.startswith("http://")).rstrip(".")
    return process, url


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_runs_until_interrupted(home: Path, stop_signal: signal.Signals) -> None:
    process, url = start_serve(home)
    try:
        with urllib.request.urlopen(url.removesuffix("/v1") + "/health", timeout=10) as response:
            assert response.status == 200
        process.send_signal(stop_signal)
        assert process.wait(HANG_GUARD_SECONDS) == 0
        assert process.stderr is not None and "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/models", timeout=5)


def test_serve_on_all_interfaces_without_a_key_is_refused(home: Path) -> None:
    done = run_cli("serve", "--host", "0.0.0.0", "--port", "0", home=home)
    assert done.returncode == 1
    assert "needs an API key" in done.stderr and "Traceback" not in done.stderr
