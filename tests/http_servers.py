"""Small real HTTP servers on 127.0.0.1 for download tests: a file server with faults, a forward
proxy that can throttle and count, and a registry front that demands tokens and redirects blobs."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import secrets
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "host"}
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


class Server:
    """A ThreadingHTTPServer on a free port, run in a daemon thread; use as a context manager."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], tls: tuple[Path, Path] | None = None) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        if tls is not None:  # (certificate, key): serve HTTPS
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}"
        self.requests: list[dict[str, object]] = []
        self.lock = threading.Lock()

    def record(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.requests.append(
                {
                    "method": handler.command,
                    "path": handler.path,
                    "headers": dict(handler.headers),
                    "client": handler.client_address,  # one per TCP connection
                }
            )

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    @property
    def owner(self):
        return self.server.owner  # type: ignore[attr-defined]


def send_file_range(
    handler: BaseHTTPRequestHandler,
    data_len: int,
    read: Callable[[int, int], bytes],
    *,
    honour_range=True,
    cut_after: int | None = None,
) -> int:
    """Answer a GET for bytes with Range support; returns body bytes sent."""
    start, end = 0, data_len - 1
    match = _RANGE.match(handler.headers.get("Range", "")) if honour_range else None
    if match:
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else data_len - 1
        if start >= data_len:
            handler.send_response(416)
            handler.send_header("Content-Range", f"bytes */{data_len}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return 0
        handler.send_response(206)
        handler.send_header("Content-Range", f"bytes {start}-{end}/{data_len}")
    else:
        handler.send_response(200)
    length = end - start + 1
    handler.send_header("Content-Length", str(length))
    handler.send_header("Accept-Ranges", "bytes")
    handler.end_headers()
    sent = 0
    while sent < length:
        piece = read(start + sent, min(1 << 20, length - sent))
        if cut_after is not None and sent + len(piece) > cut_after:
            handler.wfile.write(piece[: max(0, cut_after - sent)])
            handler.wfile.flush()
            handler.close_connection = True
            return cut_after
        handler.wfile.write(piece)
        sent += len(piece)
    return sent


class FileServer(Server):
    """Serves files from a dict path -> bytes, with faults you can arm per test."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        super().__init__(_FileHandler, tls)
        self.files: dict[str, bytes] = {}
        self.fail_next: list[int] = []  # statuses to answer with before serving normally (0: serve)
        self.cut_next: list[int] = []  # body bytes after which to drop the connection
        self.ignore_range = False
        self.sent_bytes = 0
        # False: drop each connection after its response without saying so (as a server whose
        # keep-alive timeout passed does), so a client reusing it finds it dead.
        self.keep_alive = True
        # Paths answered with headers and then no body, until `release` is set (a stalled server).
        self.stall_paths: set[str] = set()
        self.release = threading.Event()
        self.content_types: dict[str, str] = {}  # path -> Content-Type of its answer

    def __exit__(self, *exc: object) -> None:
        self.release.set()  # stalled handlers end, so the server can shut down
        super().__exit__(*exc)


class _FileHandler(_Quiet):
    def do_GET(self) -> None:
        owner: FileServer = self.owner
        owner.record(self)
        path = urlsplit(self.path).path
        data = owner.files.get(path)
        with owner.lock:
            status = (owner.fail_next.pop(0) or None) if owner.fail_next else None
            cut = owner.cut_next.pop(0) if owner.cut_next else None
        if data is None or status is not None:
            self.send_response(status or 404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path in owner.stall_paths:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.flush()
            owner.release.wait(120)
            self.close_connection = True
            return
        if path in owner.content_types:
            self.send_response(200)
            self.send_header("Content-Type", owner.content_types[path])
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        sent = send_file_range(
            self,
            len(data),
            lambda off, n: data[off : off + n],
            honour_range=not owner.ignore_range,
            cut_after=cut,
        )
        with owner.lock:
            owner.sent_bytes += sent
        if not owner.keep_alive:
            self.close_connection = True


class ForwardProxy(Server):
    """A plain-HTTP forward proxy (absolute-URI requests). Can throttle and counts body bytes."""

    def __init__(self, bytes_per_second: float | None = None) -> None:
        super().__init__(_ProxyHandler)
        self.bytes_per_second = bytes_per_second
        self.body_bytes = 0
        self.tunnelled_bytes = 0
        self.bytes_by_path: dict[str, int] = {}


class _ProxyHandler(_Quiet):
    def do_GET(self) -> None:
        self._forward()

    def do_CONNECT(self) -> None:
        """HTTPS through the proxy: a byte tunnel to host:port."""
        owner: ForwardProxy = self.owner
        owner.record(self)
        host, _, port = self.path.rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=60)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True

        def pump(source: socket.socket, sink: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
                    with owner.lock:
                        owner.tunnelled_bytes += len(data)
            except OSError:
                pass
            finally:
                for sock in (source, sink):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

        back = threading.Thread(target=pump, args=(upstream, self.connection), daemon=True)
        back.start()
        pump(self.connection, upstream)
        back.join(60)
        upstream.close()

    def do_HEAD(self) -> None:
        self._forward()

    def _forward(self) -> None:
        owner: ForwardProxy = self.owner
        owner.record(self)
        target = urlsplit(self.path)
        if not target.hostname:
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        path = target.path + ("?" + target.query if target.query else "")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn.request(self.command, path, headers=headers)
        upstream = conn.getresponse()
        self.send_response(upstream.status)
        for key, value in upstream.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.end_headers()
        started = time.monotonic()
        sent = 0
        try:
            while self.command != "HEAD" and (piece := upstream.read(64 * 1024)):
                self.wfile.write(piece)
                sent += len(piece)
                with owner.lock:
                    owner.body_bytes += len(piece)
                    owner.bytes_by_path[target.path] = owner.bytes_by_path.get(target.path, 0) + len(piece)
                if owner.bytes_per_second:
                    ahead = sent / owner.bytes_per_second - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
        except OSError:
            self.close_connection = True
        finally:
            conn.close()


class RegistryFront(Server):
    """Stands before a real registry: may demand a bearer token, and may send blob GETs (307)
    to another origin (`blob_host`), like registries that hand blobs to a CDN."""

    def __init__(
        self, registry_url: str, *, require_token: bool = False, basic_user: tuple[str, str] | None = None
    ) -> None:
        super().__init__(_FrontHandler)
        self.registry_url = registry_url
        self.require_token = require_token
        self.basic_user = basic_user  # token endpoint wants these credentials (Basic)
        self.tokens: set[str] = set()
        self.token_requests: list[dict[str, object]] = []
        self.blob_host: BlobCdn | None = None


class _FrontHandler(_Quiet):
    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _handle(self) -> None:
        owner: RegistryFront = self.owner
        owner.record(self)
        parts = urlsplit(self.path)
        if parts.path == "/token":
            return self._token(parse_qs(parts.query))
        if (
            owner.require_token
            and self.headers.get("Authorization", "").removeprefix("Bearer ") not in owner.tokens
        ):
            body = b'{"errors":[{"code":"UNAUTHORIZED"}]}'
            self.send_response(401)
            repo = re.match(r"/v2/(.+?)/(manifests|blobs)/", parts.path)
            scope = f',scope="repository:{repo.group(1)}:pull"' if repo else ""
            self.send_header(
                "WWW-Authenticate", f'Bearer realm="{owner.url}/token",service="test-registry"{scope}'
            )
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if owner.blob_host is not None and "/blobs/sha256:" in parts.path and self.command == "GET":
            digest = parts.path.rsplit("/", 1)[1]
            self.send_response(307)
            self.send_header("Location", f"{owner.blob_host.url}/cdn/{digest}?sig={secrets.token_hex(4)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        _relay(self, owner.registry_url + self.path)

    def _token(self, query: dict[str, list[str]]) -> None:
        owner: RegistryFront = self.owner
        owner.token_requests.append({"query": query, "authorization": self.headers.get("Authorization")})
        if owner.basic_user is not None:
            import base64

            expected = "Basic " + base64.b64encode(":".join(owner.basic_user).encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        token = secrets.token_hex(16)
        owner.tokens.add(token)
        body = json.dumps({"token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class BlobCdn(Server):
    """Another origin serving blobs by digest from a registry's storage, recording what it was sent."""

    def __init__(self, blob_file: Callable[[str], Path]) -> None:
        super().__init__(_CdnHandler)
        self.blob_file = blob_file


class _CdnHandler(_Quiet):
    def do_GET(self) -> None:
        owner: BlobCdn = self.owner
        owner.record(self)
        digest = urlsplit(self.path).path.rsplit("/", 1)[1]
        path = owner.blob_file(digest)
        with path.open("rb") as file:

            def read(offset: int, count: int) -> bytes:
                file.seek(offset)
                return file.read(count)

            send_file_range(self, path.stat().st_size, read)


def _relay(handler: BaseHTTPRequestHandler, url: str) -> None:
    target = urlsplit(url)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP | {"authorization"}}
    conn.request(handler.command, target.path + ("?" + target.query if target.query else ""), headers=headers)
    upstream = conn.getresponse()
    handler.send_response(upstream.status)
    for key, value in upstream.getheaders():
        if key.lower() not in HOP_BY_HOP:
            handler.send_header(key, value)
    handler.end_headers()
    if handler.command != "HEAD":
        while piece := upstream.read(1 << 20):
            handler.wfile.write(piece)
    conn.close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made with the openssl command (trust it with SSL_CERT_FILE)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key
