"""What the app's HTTP client offers a plugin: one request at a time, redirects followed safely.

Sources get the app's client in `resolve()` and `push()`, other plugins from the plugin
context; it honours the proxy setting and drops credentials on a redirect to another
origin. The concrete client is core's (`core/http_client.py`); plugins see only this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol


class HttpError(OSError):
    """A connection could not be made or broke; transient, worth a retry."""


class HttpResponse(Protocol):
    """An open response: read the body, then `close()` (or use it in a `with`)."""

    @property
    def status(self) -> int: ...

    @property
    def url(self) -> str:
        """Where the response came from, after redirects."""
        ...

    def header(self, name: str, default: str = "") -> str: ...

    def read(self, limit: int | None = None) -> bytes: ...

    def close(self) -> None: ...

    def __enter__(self) -> HttpResponse: ...

    def __exit__(self, *exc: object) -> None: ...


class HttpClient(Protocol):
    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | Iterable[bytes] | None = None,
        *,
        follow_redirects: bool = True,
    ) -> HttpResponse:
        """Send one request; follow redirects (GET/HEAD only) without leaking credentials.

        Raises HttpError when the connection fails; HTTP error statuses are returned, not raised.
        """
        ...
