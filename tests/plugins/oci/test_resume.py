"""Kill `llamadesk pull` mid-blob (SIGKILL, no chance to clean up), then pull again: it resumes."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

from llamadesk.core.downloader import MiB
from tests.cli.helpers import BIN
from tests.http_servers import ForwardProxy

CHUNK = 1 * MiB  # the downloader's chunk_size: the most a killed process may have read and not saved


def recorded_bytes(state: Path) -> int:
    """Sum of per-segment progress in the downloader's state file (see core/downloader.py)."""
    data = state.read_bytes()
    _, _, _, count = struct.unpack_from("<8sQQQ", data)
    return sum(struct.unpack_from(f"<{count}Q", data, 32))


def test_killed_pull_resumes_from_its_partial(home: Path, app, registry) -> None:
    ref = registry.ref("library/smollm2")
    manifest = json.loads(registry.server.request("GET", "/v2/library/smollm2/manifests/latest", None,
                                                   {"Accept": "application/vnd.docker.distribution.manifest.v2+json"})[2])  # fmt: skip
    model = next(layer for layer in manifest["layers"] if layer["mediaType"].endswith(".model"))
    digest, size = model["digest"], model["size"]
    blob_path = f"/v2/library/smollm2/blobs/{digest}"
    state = app.models_dir / ".llamadesk" / "partial" / f"sha256-{digest.split(':')[1]}.state"

    with ForwardProxy(bytes_per_second=15_000_000) as slow:
        env = {**os.environ, "LLAMADESK_HOME": str(home), "http_proxy": slow.url, "HTTP_PROXY": slow.url}
        env.pop("no_proxy", None)
        env.pop("NO_PROXY", None)
        proc = subprocess.Popen(
            [str(BIN), "pull", ref, "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if state.exists() and recorded_bytes(state) >= 30_000_000:
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        time.sleep(0.3)  # let the proxy notice the closed sockets and stop counting
        first_run = slow.bytes_by_path.get(blob_path, 0)

    kept = recorded_bytes(state)
    assert 30_000_000 <= kept < size
    assert not (app.models_dir / "manifests").exists()  # nothing in the library yet

    with ForwardProxy() as counting:
        app.config.update({"http_proxy": counting.url})
        result = app.library.pull(ref)
        second_run = counting.bytes_by_path.get(blob_path, 0)
    assert second_run == size - kept  # asked only for what was missing
    redownloaded = first_run + second_run - size
    assert 0 <= redownloaded < CHUNK, (first_run, second_run, kept)
    assert size - kept <= result.downloaded < size - kept + 10_000  # the rest, plus a few small blobs
    assert app.library.resolve_model_path(ref).stat().st_size == size
    assert not state.exists()


def test_models_cancel_stops_a_pull_and_keeps_a_resumable_partial(app, registry) -> None:
    from llamadesk.core.commands import CommandError

    ref = registry.ref("library/smollm2", "second")
    with ForwardProxy(bytes_per_second=20_000_000) as slow:
        app.config.update({"http_proxy": slow.url})
        events = []
        running = app.commands.start("models.pull", {"reference": ref}, on_event=events.append)
        deadline = time.monotonic() + 30
        while not any(e.done > 10_000_000 for e in list(events)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert app.commands.invoke("models.cancel", {"reference": ref}).cancelled
        with pytest.raises(CommandError) as failure:
            running.result(timeout=30)
        assert failure.value.code == "cancelled"
    assert not app.commands.invoke("models.cancel", {"reference": ref}).cancelled  # nothing running now
    assert app.library.list_models(discover=False).models == []
    app.config.update({"http_proxy": None})
    result = app.library.pull(ref)
    assert result.downloaded < result.size - 10_000_000  # resumed, not restarted


def test_cancelling_the_command_itself_keeps_the_partial_too(app, registry) -> None:
    from llamadesk.core.commands import CommandError

    ref = registry.ref("library/smollm2")
    with ForwardProxy(bytes_per_second=20_000_000) as slow:
        app.config.update({"http_proxy": slow.url})
        events = []
        running = app.commands.start("models.pull", {"reference": ref}, on_event=events.append)
        deadline = time.monotonic() + 30
        while not any(e.done > 5_000_000 for e in list(events)) and time.monotonic() < deadline:
            time.sleep(0.02)
        running.cancel()
        with pytest.raises(CommandError) as failure:
            running.result(timeout=30)
        assert failure.value.code == "cancelled"
    assert app.library.disk_usage().partial_bytes > 5_000_000
