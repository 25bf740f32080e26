"""`llamadesk pull` and `push` from a terminal and from scripts, against the real registry."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

from tests.cli.helpers import BIN, run_cli


def test_pull_json_lines_then_list(home: Path, registry) -> None:
    ref = registry.ref("ai/smollm2")
    done = run_cli("pull", ref, "--json", home=home, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    events, result = lines[:-1], lines[-1]
    assert all(e["kind"] == "pull" for e in events) and events[-1]["phase"] == "done"
    assert result["reference"] == ref and result["downloaded"] == result["size"]
    assert ref in run_cli("list", home=home).stdout


def test_pull_shows_a_progress_bar_on_a_terminal(home: Path, registry) -> None:
    master, slave = pty.openpty()
    env = {**os.environ, "LLAMADESK_HOME": str(home), "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen(
        [str(BIN), "pull", registry.ref("library/smollm2")], stdout=subprocess.PIPE, stderr=slave, env=env
    )
    os.close(slave)
    out, _ = proc.communicate(timeout=120)
    screen = b""
    while True:
        try:
            piece = os.read(master, 65536)
        except OSError:
            break
        if not piece:
            break
        screen += piece
    os.close(master)
    assert proc.returncode == 0
    text = screen.decode(errors="replace")
    assert "MB" in text and "/s" in text  # bytes and speed columns of the bar
    assert b"pulled" in out


def test_push_from_the_cli(home: Path, registry, starter_model: Path) -> None:
    assert run_cli("import", str(starter_model), "--name", "tiny", home=home).returncode == 0
    target = registry.ref("cli/tiny", "v1")
    assert run_cli("cp", "tiny", target, home=home).returncode == 0
    done = run_cli("push", target, home=home, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"pushed {target}" in done.stdout
    status, _, _ = registry.server.request(
        "HEAD",
        "/v2/cli/tiny/manifests/v1",
        None,
        {"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert status == 200
