"""A pull killed mid-download resumes in a new process from the bytes already on disk."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from llamadesk.core.app import App

from .conftest import STARTER_FILE, STARTER_REPO
from .hub_server import HubServer

PULL = """
import sys
from llamadesk.core.app import App
with App(load_entrypoints=False) as app:
    print(app.commands.invoke("models.pull", {"reference": sys.argv[1]}).model_dump_json())
"""


def start_pull(reference: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", PULL, reference],
        env=dict(
            os.environ
        ),  # LLAMADESK_HOME and HF_HOME of this test; huggingface.endpoint is in its config
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_interrupted_pull_resumes_in_a_new_process(hub_app: App, hub: HubServer) -> None:
    reference = f"hf.co/{STARTER_REPO}:Q4_1"
    size = hub.repos[STARTER_REPO].file(STARTER_FILE).size
    hub.throttle[STARTER_FILE] = 0.05  # per MiB and connection: the first run takes seconds

    first = start_pull(reference)
    deadline = time.monotonic() + 120  # a hang guard, not a timing assertion
    while hub.bytes_sent.get(STARTER_FILE, 0) < 20_000_000:
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        assert time.monotonic() < deadline, "the first pull never got going"
        time.sleep(0.05)
    first.kill()  # no clean-up: as if the machine lost power
    first.wait(timeout=30)
    sent_before = hub.bytes_sent[STARTER_FILE]
    requests_before = len(hub.requests)

    del hub.throttle[STARTER_FILE]
    second = start_pull(reference)
    _out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err

    resumed = [r for r in hub.requests[requests_before:] if r.method == "GET" and STARTER_FILE in r.path]
    starts = sorted(int(r.headers["range"].split("=")[1].split("-")[0]) for r in resumed)
    assert any(start > 0 and start % (64 << 20) != 0 for start in starts), starts  # mid-segment
    sent_after = hub.bytes_sent[STARTER_FILE] - sent_before
    assert sent_after <= size - 15_000_000  # what the first run stored was not fetched again
    sha = hub.repos[STARTER_REPO].file(STARTER_FILE).sha256
    stored = hub_app.models_dir / "blobs" / f"sha256-{sha}"
    digest = hashlib.sha256()
    with stored.open("rb") as stream:
        while piece := stream.read(1 << 24):
            digest.update(piece)
    assert digest.hexdigest() == sha
    assert Path(hub_app.models_dir / "manifests" / "hf.co" / STARTER_REPO / "Q4_1").is_file()
