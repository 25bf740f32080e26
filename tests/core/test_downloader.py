"""The one downloader, against real HTTP servers on 127.0.0.1 that misbehave on purpose."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from llamadesk.core.downloader import BlobDownloader
from llamadesk.core.errors import Cancelled, DigestMismatch, DownloadFailed
from llamadesk.core.http_client import HttpClient
from llamadesk.core.models.download import BlobRequest
from tests.http_servers import FileServer, ForwardProxy

KiB = 1024


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def data() -> bytes:
    return os.urandom(1000 * KiB + 123)  # not a multiple of anything


@pytest.fixture
def server(data: bytes):
    with FileServer() as srv:
        srv.files["/blob"] = data
        yield srv


def small_downloader(tmp_path: Path, **kw) -> BlobDownloader:
    """Segments of 128 KiB over 4 connections from the start (no ramp-up), so a 1 MB blob
    exercises the parallel path."""
    options = dict(
        connections=4,
        segment_size=128 * KiB,
        parallel_min_size=256 * KiB,
        chunk_size=16 * KiB,
        backoff=0.01,
        ramp_every_s=0,
    )
    options.update(kw)
    return BlobDownloader(HttpClient(timeout=10), tmp_path / "partial", **options)


def requested_bytes(server: FileServer, since: int) -> int:
    """Bytes asked for by the ranged requests after the first `since` ones.

    Not the server's count of bytes sent: a handler of a cancelled run may still be
    adding to it after the client gave up.
    """
    total = 0
    for entry in server.requests[since:]:
        start, end = entry["headers"]["Range"].removeprefix("bytes=").split("-")
        total += int(end) - int(start) + 1
    return total


def request(server: FileServer, data: bytes, **kw) -> BlobRequest:
    return BlobRequest(url=server.url + "/blob", digest=digest_of(data), size=len(data), **kw)


@pytest.mark.parametrize("known_size", [True, False])
def test_parallel_ranged_download_verifies_and_lands_atomically(tmp_path, server, data, known_size) -> None:
    downloader = small_downloader(tmp_path)
    dest = tmp_path / "blobs" / "x"
    seen = []
    req = (
        request(server, data) if known_size else BlobRequest(url=server.url + "/blob", digest=digest_of(data))
    )
    downloader.fetch(req, dest, on_bytes=seen.append)
    assert dest.read_bytes() == data
    assert sum(seen) == len(data)
    assert not list((tmp_path / "partial").iterdir())  # partial and state are gone
    ranges = [r["headers"].get("Range") for r in server.requests]
    if known_size:
        assert len(ranges) == 8 and all(ranges)  # 8 segments of 128 KiB, each its own ranged request


def test_resumes_from_a_partial_left_on_disk(tmp_path, server, data) -> None:
    downloader = small_downloader(tmp_path)
    cancel = threading.Event()
    got = []

    def stop_midway(count: int) -> None:
        got.append(count)
        if sum(got) > len(data) // 2:
            cancel.set()

    with pytest.raises(Cancelled):
        downloader.fetch(request(server, data), tmp_path / "dest", on_bytes=stop_midway, cancel=cancel)
    kept = downloader.partial_bytes(request(server, data))
    assert kept >= len(data) // 2
    assert not (tmp_path / "dest").exists()

    before = len(server.requests)
    fresh = small_downloader(tmp_path)  # a new downloader, as after a restart
    fresh.fetch(request(server, data), tmp_path / "dest")
    assert (tmp_path / "dest").read_bytes() == data
    assert requested_bytes(server, before) == len(data) - kept


def test_a_partial_resumes_with_the_layout_it_was_started_with(tmp_path, server, data) -> None:
    """A partial cut into segments of another size (an older version, other settings) still resumes."""
    cancel = threading.Event()
    got = []

    def stop_midway(count: int) -> None:
        got.append(count)
        if sum(got) > len(data) // 2:
            cancel.set()

    with pytest.raises(Cancelled):
        small_downloader(tmp_path).fetch(
            request(server, data), tmp_path / "dest", on_bytes=stop_midway, cancel=cancel
        )
    kept = small_downloader(tmp_path).partial_bytes(request(server, data))

    before = len(server.requests)
    other = small_downloader(tmp_path, segment_size=320 * KiB)
    assert other.partial_bytes(request(server, data)) == kept
    other.fetch(request(server, data), tmp_path / "dest")
    assert (tmp_path / "dest").read_bytes() == data
    assert requested_bytes(server, before) == len(data) - kept


def test_the_partial_is_synced_while_it_downloads(tmp_path, server, data, monkeypatch) -> None:
    """Early writeback: the commit's fsync then has only the tail left to write."""
    from llamadesk.core import download_writeback

    synced = []
    real = download_writeback._datasync
    monkeypatch.setattr(download_writeback, "_datasync", lambda fd: (synced.append(fd), real(fd)))
    monkeypatch.setattr(download_writeback, "SYNC_EVERY", 256 * KiB)
    small_downloader(tmp_path).fetch(request(server, data), tmp_path / "dest")
    assert (tmp_path / "dest").read_bytes() == data
    assert synced  # at least one sync before the end (1 MB written, one every 256 KiB)


def test_segments_share_kept_connections(tmp_path, server, data) -> None:
    """8 ranged requests over 4 workers: each worker reuses its connection for its next segment."""
    small_downloader(tmp_path).fetch(request(server, data), tmp_path / "dest")
    assert (tmp_path / "dest").read_bytes() == data
    assert len(server.requests) == 8
    assert len({r["client"] for r in server.requests}) <= 4


def test_a_fast_server_keeps_one_connection_a_slow_one_gets_more(tmp_path, server, data, monkeypatch) -> None:
    """Connections are added while the transfer runs below `fast_link`: a server that gives
    one connection all it can take keeps one stream (which the hash follows closely)."""
    fast = small_downloader(tmp_path / "fast", ramp_every_s=0.01, fast_link=1)  # anything is fast enough
    fast.fetch(request(server, data), tmp_path / "fast-dest")
    assert len({r["client"] for r in server.requests}) == 1
    assert [r["headers"]["Range"] for r in server.requests] == sorted(
        (r["headers"]["Range"] for r in server.requests), key=lambda h: int(h.split("=")[1].split("-")[0])
    )  # one stream: the segments in order

    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with ForwardProxy(bytes_per_second=2_000_000) as slow:
        downloader = small_downloader(tmp_path / "slow", ramp_every_s=0.05, fast_link=100e6)
        downloader.http = HttpClient(proxy=slow.url, timeout=10)
        downloader.fetch(request(server, data), tmp_path / "slow-dest")
        clients = {r["client"] for r in slow.requests}
    assert (tmp_path / "slow-dest").read_bytes() == data
    assert 1 < len(clients) <= 4


def test_a_kept_connection_the_server_dropped_is_replaced(tmp_path, server, data) -> None:
    server.keep_alive = False  # every kept connection is dead by the time it is reused
    small_downloader(tmp_path, connections=2).fetch(request(server, data), tmp_path / "dest")
    assert (tmp_path / "dest").read_bytes() == data
    assert len(server.requests) == 8  # no segment was fetched twice
    assert len({r["client"] for r in server.requests}) == 8


def test_transient_failures_are_retried_and_cut_streams_resume(tmp_path, server, data) -> None:
    server.fail_next = [503, 429]
    server.cut_next = [5000, 7000]
    small_downloader(tmp_path).fetch(request(server, data), tmp_path / "dest")
    assert (tmp_path / "dest").read_bytes() == data


def test_retries_run_out_with_a_clear_error_and_the_partial_is_kept(tmp_path, server, data) -> None:
    server.cut_next = [5000]  # the first request gets some bytes, then the server only answers 503
    server.fail_next = [0] + [503] * 10
    downloader = small_downloader(tmp_path, connections=1, retries=2)
    with pytest.raises(DownloadFailed, match="kept failing"):
        downloader.fetch(request(server, data), tmp_path / "dest")
    assert downloader.partial_bytes(request(server, data)) > 0


def test_a_refusal_is_not_retried(tmp_path, server, data) -> None:
    server.fail_next = [403]
    with pytest.raises(DownloadFailed, match="403"):
        small_downloader(tmp_path, connections=1).fetch(request(server, data), tmp_path / "dest")
    assert len(server.requests) == 1


def test_digest_mismatch_discards_the_bytes(tmp_path, server, data) -> None:
    wrong = BlobRequest(url=server.url + "/blob", digest=digest_of(b"something else"), size=len(data))
    downloader = small_downloader(tmp_path)
    with pytest.raises(DigestMismatch, match="discarded"):
        downloader.fetch(wrong, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()
    assert not list((tmp_path / "partial").iterdir())


def test_a_server_that_ignores_range_still_gives_the_right_bytes(tmp_path, server, data) -> None:
    server.ignore_range = True
    small_downloader(tmp_path).fetch(request(server, data), tmp_path / "dest")
    assert (tmp_path / "dest").read_bytes() == data


def test_expired_auth_is_refreshed_once(tmp_path, server, data) -> None:
    server.fail_next = [401]
    calls = []

    def authorize(refresh: bool) -> dict[str, str]:
        calls.append(refresh)
        return {"Authorization": "Bearer fresh" if refresh else "Bearer stale"}

    small_downloader(tmp_path, connections=1).fetch(
        request(server, data, authorize=authorize), tmp_path / "d"
    )
    assert calls[:2] == [False, True]
    assert server.requests[-1]["headers"]["Authorization"] == "Bearer fresh"


def test_downloads_go_through_a_proxy(tmp_path, server, data) -> None:
    with ForwardProxy() as proxy:
        downloader = BlobDownloader(HttpClient(proxy=proxy.url), tmp_path / "partial")
        downloader.fetch(request(server, data), tmp_path / "dest")
        assert proxy.body_bytes == len(data)
    assert (tmp_path / "dest").read_bytes() == data


def test_environment_proxy_is_honoured(tmp_path, server, data, monkeypatch) -> None:
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        BlobDownloader(HttpClient(), tmp_path / "partial").fetch(request(server, data), tmp_path / "dest")
        assert proxy.body_bytes == len(data)


def test_cross_origin_redirect_drops_credentials(tmp_path, data) -> None:
    with FileServer() as cdn, FileServer() as origin:
        cdn.files["/signed"] = data
        origin.files["/blob"] = b""
        # The origin answers every GET with 307 to the CDN (another port: another origin).
        origin.fail_next = []

        from http.server import BaseHTTPRequestHandler

        class Redirect(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                seen.append(dict(self.headers))
                self.send_response(307)
                self.send_header("Location", cdn.url + "/signed")
                self.send_header("Content-Length", "0")
                self.end_headers()

        seen: list[dict[str, str]] = []
        from tests.http_servers import Server

        with Server(Redirect) as redirecting:
            req = BlobRequest(
                url=redirecting.url + "/blob",
                digest=digest_of(data),
                size=len(data),
                headers={"Authorization": "Bearer secret"},
            )
            BlobDownloader(HttpClient(), tmp_path / "partial").fetch(req, tmp_path / "dest")
        assert (tmp_path / "dest").read_bytes() == data
        assert all(h.get("Authorization") == "Bearer secret" for h in seen)
        assert cdn.requests and all("Authorization" not in r["headers"] for r in cdn.requests)


def test_a_blob_another_process_is_downloading_is_waited_for(tmp_path, server, data) -> None:
    import fcntl

    downloader = small_downloader(tmp_path)
    req = request(server, data)
    lock_path = tmp_path / "partial" / f"sha256-{req.hex}.lock"
    lock_path.parent.mkdir(parents=True)
    holder = os.open(lock_path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as another llamadesk process would
    done = threading.Event()
    worker = threading.Thread(target=lambda: (downloader.fetch(req, tmp_path / "dest"), done.set()))
    worker.start()
    assert not done.wait(0.5) and server.requests == []
    os.close(holder)
    worker.join(30)
    assert done.is_set() and (tmp_path / "dest").read_bytes() == data
    assert not lock_path.exists()


def test_https_goes_through_a_proxy_tunnel(tmp_path, data, monkeypatch) -> None:
    from tests.http_servers import self_signed_certificate

    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust our certificate, as a company CA would be
    with FileServer(tls=(cert, key)) as server, ForwardProxy() as proxy:
        server.files["/blob"] = data
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("https_proxy", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        BlobDownloader(HttpClient(), tmp_path / "partial").fetch(request(server, data), tmp_path / "dest")
        assert (tmp_path / "dest").read_bytes() == data
        assert [r["method"] for r in proxy.requests] == ["CONNECT"]
        assert proxy.requests[0]["path"] == f"127.0.0.1:{server.port}"
        assert proxy.tunnelled_bytes > len(data)  # TLS records, both ways
