"""Every hostile registry answer and a disk that is full, through `llamadesk pull` as a user runs it:
one line on stderr, exit code 1, no traceback."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import BIN, run_cli
from tests.http_servers import FileServer, ForwardProxy
from tests.small_disk import MB, SmallDisk, small_disk

from .hostile import CASES, serve_hostile_cases


def assert_one_line_refusal(done: subprocess.CompletedProcess[str], expected: str) -> None:
    """The error is the last line and the only one; lines before it are the pull's phases
    (`resolving ...`, `downloading`: what `pull` prints when stderr is not a terminal)."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    assert lines[-1].startswith("error: ") and expected in lines[-1], done.stderr
    phases = lines[:-1]
    assert all(line.split()[0] in ("resolving", "downloading", "verifying") for line in phases), done.stderr


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path / "disk", 128 * MB) as mounted:
        yield mounted


def test_every_hostile_registry_answer_is_one_line(home: Path) -> None:
    assert run_cli("config", "set", "downloads.timeout_s", "1", home=home).returncode == 0
    with FileServer() as server:
        serve_hostile_cases(server)
        for case, expected in CASES.items():
            done = run_cli("pull", f"127.0.0.1:{server.port}/evil/{case}", home=home)
            assert_one_line_refusal(done, expected)


def test_a_model_that_cannot_fit_is_one_line(home: Path, registry, disk: SmallDisk) -> None:
    models = disk.root / "models"
    assert run_cli("config", "set", "models_dir", str(models), home=home).returncode == 0
    disk.fill(leave=40 * MB)
    done = run_cli("pull", registry.ref("library/smollm2"), home=home)
    assert_one_line_refusal(done, "not enough disk space to pull")
    assert disk.files() == [disk.root / "filler"]


def test_a_disk_filled_during_the_pull_is_one_line_and_the_partial_can_be_listed_and_discarded(
    home: Path, registry, disk: SmallDisk
) -> None:
    models = disk.root / "models"
    for key, value in (("models_dir", str(models)), ("downloads.free_space_margin_mb", "0")):
        assert run_cli("config", "set", key, value, home=home).returncode == 0
    partial_dir = models / ".llamadesk" / "partial"

    def fill_when_the_pull_is_under_way() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            partials = (
                [p for p in partial_dir.glob("sha256-*") if p.suffix == ""] if partial_dir.exists() else []
            )
            if any(p.stat().st_blocks * 512 > 20 * MB for p in partials):
                disk.fill()
                return
            time.sleep(0.01)

    filler = threading.Thread(target=fill_when_the_pull_is_under_way)
    with ForwardProxy(bytes_per_second=40_000_000) as slow:
        env = {"http_proxy": slow.url, "HTTP_PROXY": slow.url, "no_proxy": "", "NO_PROXY": ""}
        filler.start()
        done = run_cli("pull", registry.ref("library/smollm2"), home=home, env=env)
        filler.join()
    assert_one_line_refusal(done, "the disk filled up while pulling")

    listed = run_cli("list", "--partials", home=home)
    assert listed.returncode == 0, listed.stderr
    assert registry.ref("library/smollm2") in listed.stdout and "MB" in listed.stdout

    discarded = run_cli("pull", "--discard", registry.ref("library/smollm2"), home=home)
    assert discarded.returncode == 0, discarded.stderr
    assert "removed 1 partial download" in discarded.stdout
    assert not [p for p in partial_dir.iterdir()]


def test_ctrl_c_during_a_stalled_download_ends_the_pull(home: Path) -> None:
    with FileServer() as server:
        serve_hostile_cases(server)
        env = {**os.environ, "LLAMADESK_HOME": str(home)}
        proc = subprocess.Popen(
            [str(BIN), "pull", f"127.0.0.1:{server.port}/evil/stalled"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2.5)  # started, resolved, stalled on the blob (the timeout is 30 s)
        proc.send_signal(2)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 130 and "Traceback" not in err
