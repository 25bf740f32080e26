"""What a blob server's answer means for a transfer: go on, skip what the server resent, try
again, ask for fresh credentials, or give up with a message for the user."""

from __future__ import annotations

from .errors import N_, DownloadFailed
from .http_client import HttpResponse

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class Retry(Exception):
    """A transient failure worth another request."""


class Unauthorized(Exception):
    """401: worth one more request with fresh credentials, if the source can give them."""


def check_status(response: HttpResponse, offset: int, digest: str, url: str) -> int:
    """Bytes to skip at the start of the body (when the server ignored Range); raises on errors."""
    status = response.status
    if status == 206:
        return 0
    if status == 200:
        return offset
    if status in RETRY_STATUSES:
        raise Retry(f"the server answered {status}")
    if status == 401:
        raise Unauthorized()
    if status == 416:
        raise DownloadFailed(
            N_("the server says {digest} is smaller than the manifest claims"), url=url, digest=digest
        )
    raise DownloadFailed(
        N_("the server refused the download of {digest} ({status} {reason})"),
        status=status,
        url=url,
        digest=digest,
        reason=response.raw.reason,
    )


def timed_out(exc: BaseException) -> bool:
    """A read or connect that waited the client's whole timeout (possibly wrapped in HttpError)."""
    while exc is not None:
        if isinstance(exc, TimeoutError):
            return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False
