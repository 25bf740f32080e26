"""What a transfer tells the user when it ends without a blob: cancelled, stopped early, the
bytes not matching their digest, the server refusing or going silent, retries used up, a
write to the disk failing.

Each builds the error (its `N_` template, which the window translates, and its details);
the transfer decides when to raise it, and what becomes of the partial. Apart from download_transfer.py, whose business is
moving bytes, because the wording grew with every way a download can end.
"""

from __future__ import annotations

from pathlib import Path

from .disk_space import out_of_space
from .errors import N_, Cancelled, DigestMismatch, DownloadFailed, LlamadeskError, StorageError
from .models.download import BlobRequest
from .models.units import size_label


def cancelled() -> Cancelled:
    return Cancelled(N_("the download was cancelled; it will resume where it stopped"))


def stopped_early(request: BlobRequest) -> DownloadFailed:
    return DownloadFailed(
        N_("the download of {digest} stopped early; pull again to resume"), digest=request.digest
    )


def digest_mismatch(request: BlobRequest, got: str) -> DigestMismatch:
    """The bytes hashed to `got` (hex), not to the digest asked for: the partial is discarded."""
    return DigestMismatch(
        N_(
            "the downloaded bytes do not match their digest {expected} (got sha256:{got}); they "
            "were discarded. The source may be corrupt or tampered with."
        ),
        expected=request.digest,
        actual=f"sha256:{got}",
        url=request.url,
        got=got,
    )


def unauthorized(request: BlobRequest) -> DownloadFailed:
    """401 again with fresh credentials, or from a source that has none to give."""
    return DownloadFailed(
        N_("the server refused the download of {digest} (401 Unauthorized)"),
        status=401,
        url=request.url,
        digest=request.digest,
    )


def server_silent(request: BlobRequest, timeout: float, doing: str) -> DownloadFailed:
    """A request that waited the client's whole timeout without a byte: the server stalled."""
    return DownloadFailed(
        N_(
            "the server sent nothing for {timeout:g} s while {doing}; pull again to resume "
            "(the downloads.timeout_s setting says how long to wait)"
        ),
        url=request.url,
        timeout=timeout,
        doing=doing,
    )


def kept_failing(request: BlobRequest, error: BaseException) -> DownloadFailed:
    """Every retry of a segment failed without a byte more."""
    return DownloadFailed(
        N_("download of {digest} kept failing ({error}); run the pull again to resume"),
        url=request.url,
        digest=request.digest,
        error=error,
    )


def write_failed(folder: Path, doing: str, error: OSError) -> StorageError:
    """A write to the partial failed for another reason than a full disk."""
    return StorageError(
        N_("could not write the download to {path} while {doing}: {strerror}"),
        path=str(folder),
        doing=doing,
        strerror=error.strerror or error,
    )


def out_of_disk(
    folder: Path, doing: str, size: int | None, done: int, label: str, too_large: bool
) -> LlamadeskError:
    """The disk filled up, saying what became of the partial (the transfer decided: removed
    when `too_large` for the whole disk or empty, else kept to resume)."""
    if too_large and size is not None:
        kept = f"; the partial download was removed (at {size_label(size)} it is larger than the whole disk)"
    elif done:
        target = f" {label}" if label else ""
        kept = (
            f"; the {size_label(done)} downloaded so far are kept and the pull resumes where it stopped "
            f"(`llamadesk pull --discard{target}` removes them)"
        )
    else:
        kept = ""
    return out_of_space(folder, None if size is None else size - done, doing=doing, kept=kept)
