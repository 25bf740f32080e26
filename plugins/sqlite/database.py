"""Opening the database file: WAL, foreign keys, migrations, and what to do when it is corrupt."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from llamadesk.lib import sqlite_db

from .migrations import MIGRATIONS

log = logging.getLogger(__name__)

# Another process (the UI while the CLI writes) may hold the write lock for a moment.
BUSY_TIMEOUT_MS = 15_000
# Errors that say nothing about the file's content (a full or read-only disk, a lock, no
# memory): the database is kept where it is and the error is reported, never "repaired".
NOT_DAMAGE = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
    }
)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode: every write runs in an explicit BEGIN IMMEDIATE."""
    return sqlite_db.connect(path, MIGRATIONS, BUSY_TIMEOUT_MS / 1000)


def open_or_replace(path: Path) -> tuple[sqlite3.Connection, list[str]]:
    """Open `path`; if it is not a usable database, move it aside and start a new one.

    Returns the connection and notices for the user. Nothing is deleted: the
    bad file (and its -wal/-shm companions) keeps its content under a new name.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return connect(path), []
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if (code is not None and code & 0xFF in NOT_DAMAGE) or "locked" in str(exc):
            raise
        aside = move_aside(path)
        log.error("chat database %s is unusable (%s); moved to %s", path, exc, aside)
        notice = (
            f"The chat history database could not be read ({exc}). It was kept as {aside} "
            "and a new, empty history was started."
        )
        return connect(path), [notice]


def move_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    path.rename(aside)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(aside.with_name(aside.name + suffix))
    return aside
