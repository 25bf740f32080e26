"""What a model source asks the downloader to fetch: one blob, by URL and digest."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import Field

from ..errors import N_, DownloadFailed
from .base import Record

DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")

# Returns auth headers for the next request; called with True after a 401 to get fresh ones.
Authorizer = Callable[[bool], Mapping[str, str]]


class BlobRequest(Record):
    """What to fetch. Source-neutral: a registry, a hub or a plain web server."""

    url: str
    digest: str = Field(description='"sha256:<hex>" of the bytes.')
    size: int | None = Field(None, description="Expected bytes; None when the source does not know.")
    headers: Mapping[str, str] = Field(default_factory=dict)
    authorize: Authorizer | None = Field(
        None, description="For tokens that expire during a long download (Docker Hub's last 5 minutes)."
    )
    local_files: tuple[Path, ...] = Field(
        (),
        description="Files that may already hold these bytes (another app's cache): linked or copied "
        "when their sha256 matches, instead of downloading (core/services/local_blobs.py).",
    )

    @property
    def hex(self) -> str:
        match = DIGEST.match(self.digest)
        if not match:
            raise DownloadFailed(
                N_("unsupported digest {digest!r} (only sha256 is supported)"), digest=self.digest
            )
        return match.group(1)
