"""The downloader against a disk that fills or breaks, and a server that stalls: it stops at once,
says why in one line, and keeps a partial only when resuming it can help."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from llamadesk.core.downloader import BlobDownloader
from llamadesk.core.errors import Cancelled, DownloadFailed, InsufficientSpace
from llamadesk.core.http_client import HttpClient
from llamadesk.core.models.download import BlobRequest
from tests.http_servers import FileServer
from tests.small_disk import MB, small_disk


def blob_request(server: FileServer, data: bytes, path: str = "/blob") -> BlobRequest:
    server.files[path] = data
    return BlobRequest(
        url=server.url + path, digest="sha256:" + hashlib.sha256(data).hexdigest(), size=len(data)
    )


def downloader(partial_dir: Path, timeout: float = 10) -> BlobDownloader:
    return BlobDownloader(
        HttpClient(timeout=timeout), partial_dir, segment_size=1 * MB, parallel_min_size=2 * MB, backoff=0.5
    )


def test_a_blob_larger_than_the_whole_disk_stops_at_once_and_leaves_nothing(tmp_path: Path) -> None:
    data = os.urandom(6 * MB)
    with small_disk(tmp_path / "disk", 4 * MB) as disk, FileServer() as server:
        started = time.monotonic()
        with pytest.raises(InsufficientSpace) as stopped:
            downloader(disk.root / "partial").fetch(
                blob_request(server, data), disk.root / "blob", label="tiny/model:latest"
            )
        assert time.monotonic() - started < 3  # not 30 s of retries
        assert "\n" not in stopped.value.message
        assert "larger than the whole disk" in stopped.value.message
        assert "pulling tiny/model:latest" in stopped.value.message
        assert [p.name for p in disk.files()] == []  # partial, state, note and lock all gone


def test_a_server_that_stalls_after_the_headers_is_given_up_after_the_timeout(tmp_path: Path) -> None:
    data = os.urandom(3 * MB)
    with FileServer() as server:
        request = blob_request(server, data)
        server.stall_paths.add("/blob")
        started = time.monotonic()
        with pytest.raises(DownloadFailed) as stopped:
            downloader(tmp_path / "partial", timeout=1).fetch(request, tmp_path / "blob", label="m:latest")
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 10, elapsed
    assert "the server sent nothing for 1 s while pulling m:latest" in stopped.value.message
    assert "\n" not in stopped.value.message


def test_a_stalled_download_can_be_cancelled_at_any_moment(tmp_path: Path) -> None:
    data = os.urandom(3 * MB)
    with FileServer() as server:
        request = blob_request(server, data)
        server.stall_paths.add("/blob")
        cancel = threading.Event()
        threading.Timer(0.5, cancel.set).start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            downloader(tmp_path / "partial", timeout=60).fetch(request, tmp_path / "blob", cancel=cancel)
        assert time.monotonic() - started < 3


def test_another_connection_only_for_a_worker_that_waits_on_the_network() -> None:
    """A worker that runs (or waits for a core) all the time is CPU-bound: a second connection
    would only take CPU from the hash. One that sleeps in recv gets company."""
    from llamadesk.core.download_ramp import ConnectionRamp

    def judged(work) -> list[bool]:
        ready, stop, ids = threading.Event(), threading.Event(), []

        def run() -> None:
            ids.append(threading.get_native_id())
            ready.set()
            while not stop.is_set():
                work()

        thread = threading.Thread(target=run)
        thread.start()
        ready.wait()
        ramp = ConnectionRamp(every_s=0.05, fast_link=1e15)
        answers = []
        for _ in range(3):
            time.sleep(0.08)
            answers.append(ramp.worth_another(0, ids))
        stop.set()
        thread.join()
        return answers

    assert judged(lambda: sum(range(10_000))) == [False, False, False]  # first: no baseline yet
    assert judged(lambda: time.sleep(0.01)) == [False, True, True]
