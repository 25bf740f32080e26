"""A small HTTP client on the standard library, for registries, hubs and the downloader.

Why not urllib's opener or httpx: we need three things they do not give us
together without configuration we would have to audit anyway. Redirects to
another origin must drop `Authorization` (registries send blob GETs to a CDN
with a signed URL; forwarding the registry token there leaks it). A download
must be able to shut its socket from another thread when the user cancels.
And reads go straight into a buffer (`readinto`) so a multi-gigabyte pull does
not copy every byte through Python objects. `http.client` gives all three in a
page of code and adds no dependency.

Proxies: an explicit proxy (the `http_proxy` setting) wins; otherwise
HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment, as urllib reads them.

Connections are closed after each response unless the caller passes a
`KeptConnections`: the downloader's workers do, so the many ranged requests of
one blob share a few connections instead of paying a TCP and TLS handshake
(and, behind a registry's redirect, two) each.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from . import __version__
from .interfaces.http import HttpError

__all__ = ["HttpClient", "HttpError", "HttpResponse", "KeptConnections"]

USER_AGENT = f"llamadesk/{__version__}"
MAX_REDIRECTS = 10
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Headers that carry credentials: never sent to an origin other than the one they were meant for.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
KEEP_IDLE_SECONDS = 15.0  # shorter than servers' usual keep-alive timeouts (Go's and nginx's: 60 s and more)
DRAIN_LIMIT = 64 * 1024  # an unread body this small (a redirect's) is read so its connection can be kept

ConnectionKey = tuple[str, str, int | None, str | None]  # scheme, host, port, proxy


class KeptConnections:
    """Idle connections one caller (a download worker) reuses for its next requests.

    Not shared between threads that send at once: each worker has its own. `close()` when done.
    """

    def __init__(self) -> None:
        self._idle: dict[ConnectionKey, tuple[float, http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def take(self, key: ConnectionKey) -> http.client.HTTPConnection | None:
        with self._lock:
            kept = self._idle.pop(key, None)
        if kept is None:
            return None
        since, connection = kept
        if time.monotonic() - since > KEEP_IDLE_SECONDS:  # the server may have dropped it meanwhile
            connection.close()
            return None
        return connection

    def put(self, key: ConnectionKey, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            previous = self._idle.pop(key, None)
            self._idle[key] = (time.monotonic(), connection)
        if previous is not None:
            previous[1].close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = list(self._idle.values()), {}
        for _, connection in idle:
            connection.close()

    def __enter__(self) -> KeptConnections:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(eq=False)  # compared and hashed by identity: the downloader keeps a set of open ones
class HttpResponse:
    """An open response: read the body with `read()` / `readinto()`, then `close()`."""

    status: int
    headers: http.client.HTTPMessage
    url: str
    raw: http.client.HTTPResponse
    connection: http.client.HTTPConnection = field(repr=False)
    kept: KeptConnections | None = field(default=None, repr=False)
    key: ConnectionKey | None = field(default=None, repr=False)
    aborted: bool = field(default=False, repr=False)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)

    def read(self, limit: int | None = None) -> bytes:
        return self.raw.read(limit) if limit is not None else self.raw.read()

    def readinto(self, buffer: memoryview) -> int:
        return self.raw.readinto(buffer)

    def readinto_some(self, buffer: memoryview) -> int:
        """Read what has arrived (at least one byte, at most len(buffer)); 0 at the end.

        `readinto` waits until the whole buffer is full; a downloader that saves
        progress per read would then lose up to a buffer of received bytes when
        killed. For a body of known length we read from the socket once instead.
        """
        raw = self.raw
        if raw.chunked or raw.length is None or raw.fp is None:
            return raw.readinto(buffer)
        view = buffer[: min(len(buffer), raw.length)]
        if not view:
            return 0
        count = raw.fp.readinto1(view)
        raw.length -= count
        return count

    def close(self) -> None:
        reusable = self.kept is not None and self.key is not None and self._finish_body()
        self.raw.close()
        if reusable:
            assert self.kept is not None and self.key is not None
            self.kept.put(self.key, self.connection)
        else:
            self.connection.close()

    def _finish_body(self) -> bool:
        """True when the body was read to its end (draining a small rest) and the server keeps the connection."""
        raw = self.raw
        if self.aborted or raw.will_close:
            return False
        if raw.isclosed():  # read to the end by http.client (or a HEAD)
            return True
        if raw.chunked or raw.length is None or raw.length > DRAIN_LIMIT:
            return False
        try:
            raw.read()  # the rest of a small body: cheaper than a new connection
        except (OSError, http.client.HTTPException):
            return False
        return raw.isclosed()

    def abort(self) -> None:
        """Unblock a read in another thread (cancel): shut the socket down."""
        self.aborted = True
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> HttpResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HttpClient:
    """Opens requests, follows redirects safely, and goes through a proxy when asked."""

    def __init__(self, *, proxy: str | None = None, timeout: float = 30.0) -> None:
        self.proxy = proxy or None
        self.timeout = timeout
        self._ssl: ssl.SSLContext | None = None  # made on first HTTPS use: loading the CA store takes ~20 ms
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | Iterable[bytes] | None = None,
        *,
        follow_redirects: bool = True,
        kept: KeptConnections | None = None,
    ) -> HttpResponse:
        """Send one request; follow redirects (GET/HEAD only) without leaking credentials.

        With `kept`, an idle connection to the same origin is reused, and the response's
        connection is kept there by `close()` when its body was read to the end.
        Raises HttpError when the connection fails; HTTP error statuses are returned, not raised.
        """
        sent_headers = {"User-Agent": USER_AGENT, **(headers or {})}
        origin = _origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, sent_headers, body, kept)
            location = response.header("Location")
            if not (follow_redirects and response.status in REDIRECT_CODES and location):
                return response
            response.close()
            url = urljoin(url, location)
            if response.status == 303:
                method, body = "GET", None
            if _origin(url) != origin:
                sent_headers = {k: v for k, v in sent_headers.items() if k.lower() not in CREDENTIAL_HEADERS}
                origin = _origin(url)
        raise HttpError(f"too many redirects fetching {url}")

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | Iterable[bytes] | None,
        kept: KeptConnections | None = None,
    ) -> HttpResponse:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HttpError(f"unsupported URL {url!r}")
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        proxy = self._proxy_for(parts.scheme, parts.hostname)
        if parts.scheme == "http" and proxy is not None:  # a plain-HTTP proxy takes the absolute URL
            target = url
        key: ConnectionKey = (parts.scheme, parts.hostname.lower(), parts.port, proxy)
        if not isinstance(body, (bytes, type(None))):
            kept = None  # a streamed body cannot be sent again if a kept connection turns out dead
        reused = kept.take(key) if kept is not None else None
        connection = reused or self._connect(parts.scheme, parts.hostname, parts.port)
        try:
            connection.request(method, target, body=body, headers=dict(headers))
            raw = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            if reused is not None:  # the server closed it while it was idle: once more, on a new one
                return self._send(method, url, headers, body, kept)  # `take` emptied the slot: a new one
            raise HttpError(f"{parts.hostname}: {exc}") from exc
        return HttpResponse(raw.status, raw.headers, url, raw, connection, kept, key)

    def _connect(self, scheme: str, host: str, port: int | None) -> http.client.HTTPConnection:
        proxy = self._proxy_for(scheme, host)
        if proxy is None:
            if scheme == "https":
                return http.client.HTTPSConnection(
                    host, port, timeout=self.timeout, context=self._ssl_context()
                )
            return http.client.HTTPConnection(host, port, timeout=self.timeout)
        proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        proxy_host = proxy_parts.hostname or ""
        if scheme == "https":
            tunnel = http.client.HTTPSConnection(
                proxy_host, proxy_parts.port or 8080, timeout=self.timeout, context=self._ssl_context()
            )
            tunnel.set_tunnel(host, port or 443)
            return tunnel
        return http.client.HTTPConnection(proxy_host, proxy_parts.port or 8080, timeout=self.timeout)

    def _ssl_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            return self._ssl

    def _proxy_for(self, scheme: str, host: str) -> str | None:
        # NO_PROXY applies to the configured proxy too, so local registries stay reachable.
        if urllib.request.proxy_bypass(host):
            return None
        return self.proxy or urllib.request.getproxies().get(scheme)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port
