"""Free space on the disk a folder is on, and the one-line refusal when a transfer does not fit.

Pulls and imports add up what they still need and call `require_space()` before
any byte moves; the downloader calls `out_of_space()` when a write fails with
ENOSPC or EDQUOT anyway (another program filled the disk meanwhile). Both say the
same things: how much is needed, how much is free, where, and what to do.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import N_, InsufficientSpace, StorageError
from .interfaces.http import HttpError
from .models.units import size_label

log = logging.getLogger(__name__)

MB = 1_000_000
# Errors that mean "the disk (or the user's quota) is full": retrying cannot help.
OUT_OF_SPACE_ERRNOS = frozenset(code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if code)


def existing_folder(folder: Path) -> Path:
    """`folder`, or its nearest ancestor that exists (a models folder not made yet)."""
    folder = folder.expanduser()
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def disk_usage(folder: Path) -> shutil._ntuple_diskusage:
    """Total, used and free bytes of the file system holding `folder` (free: what this user may use)."""
    return shutil.disk_usage(existing_folder(folder))


def is_out_of_space(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in OUT_OF_SPACE_ERRNOS


def require_space(folder: Path, need: int, *, margin: int, doing: str) -> None:
    """Raise InsufficientSpace unless `need` bytes fit in `folder` with `margin` left over.

    `doing` completes "not enough disk space to ...": `pull smollm2:latest`.
    """
    if need <= 0:
        return
    free = disk_usage(folder).free
    if need + margin <= free:
        return
    # Whole sentences, so that a translation never has to glue English fragments together.
    if margin:
        template = N_(
            "not enough disk space to {doing}: it needs {needed_text} (plus {margin_text} kept free) and "
            "{path} has {free_text} free; free some space, or move the models folder to a bigger disk with `llamadesk config set models_dir PATH`"
        )
    else:
        template = N_(
            "not enough disk space to {doing}: it needs {needed_text} and {path} has {free_text} free; "
            "free some space, or move the models folder to a bigger disk with `llamadesk config set models_dir PATH`"
        )
    raise InsufficientSpace(
        template,
        needed=need,
        free=free,
        margin=margin,
        path=str(folder),
        doing=doing,
        needed_text=size_label(need),
        margin_text=size_label(margin),
        free_text=size_label(free),
    )


def out_of_space(folder: Path, need: int | None, *, doing: str, kept: str = "") -> InsufficientSpace:
    """The error for a write that hit a full disk midway; `kept` (English, from the
    downloader) says what happens to the partial."""
    free = disk_usage(folder).free
    if need:
        template = N_(
            "the disk filled up while {doing}: {needed_text} more is needed and {path} has {free_text} "
            "free; free some space, or move the models folder to a bigger disk with `llamadesk config set models_dir PATH`{kept}"
        )
    else:
        template = N_(
            "the disk filled up while {doing}: {path} has {free_text} free; free some space, or move the "
            "models folder to a bigger disk with `llamadesk config set models_dir PATH`{kept}"
        )
    return InsufficientSpace(
        template,
        needed=need,
        free=free,
        path=str(folder),
        doing=doing,
        needed_text=size_label(need) if need else "",
        free_text=size_label(free),
        kept=kept,
    )


def allocated_bytes(path: Path) -> int:
    """Bytes a file really takes on disk (a sparse partial takes only what was written)."""
    try:
        stat = path.stat()
    except OSError:
        return 0
    blocks = getattr(stat, "st_blocks", None)
    return stat.st_size if blocks is None or os.name != "posix" else min(stat.st_size, blocks * 512)


@contextmanager
def translated_disk_errors(folder: Path, doing: str) -> Iterator[None]:
    """File system errors inside become one-line errors: a full disk says what to do about it.

    `doing` completes "the disk filled up while ...": `pulling smollm2:latest`.
    """
    try:
        yield
    except OSError as exc:
        if isinstance(exc, HttpError):  # the network's, not the disk's
            raise
        log.info("%s failed on the disk", doing, exc_info=exc)
        if is_out_of_space(exc):
            raise out_of_space(folder, None, doing=doing) from exc
        where = exc.filename or folder
        raise StorageError(
            N_("{doing} failed on the disk: {reason} ({path})"),
            path=str(where),
            doing=doing,
            reason=exc.strerror or exc,
        ) from exc
