"""SQLite as the plugins that keep their data in it use it (the chat store, the document
index): one connection in autocommit mode, WAL, every write an explicit BEGIN IMMEDIATE,
numbered migrations recorded in the file, and a lock so threads take turns.

Plugins may not import each other, so what both stores do the same way lives here.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from llamadesk.core.errors import StorageError

T = TypeVar("T")
Migration = Callable[[sqlite3.Connection], None]


def connect(path: Path, migrations: tuple[Migration, ...], busy_timeout_s: float) -> sqlite3.Connection:
    """A connection in autocommit mode with the migrations applied; one that fails is closed."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_s)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        db.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode survives an app crash or SIGKILL; only a power cut may lose the last commits.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        # Reading the schema touches the file's header and first page: garbage fails here.
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        migrate(db, migrations)
    except BaseException:
        db.close()
        raise
    return db


def applied_migrations(db: sqlite3.Connection) -> list[str]:
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    return [row[0] for row in db.execute("SELECT name FROM _migrations ORDER BY rowid")]


def migrate(db: sqlite3.Connection, migrations: tuple[Migration, ...]) -> list[str]:
    """Apply the migrations not yet recorded (`db` in autocommit mode); the names applied now."""
    done = set(applied_migrations(db))
    applied = []
    for migration in migrations:
        if migration.__name__ in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", (migration.__name__,)).fetchone():
                db.execute("COMMIT")  # another process applied it while we waited for the lock
                continue
            migration(db)
            db.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (migration.__name__, time.time())
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        applied.append(migration.__name__)
    return applied


class LockedConnection:
    """One connection shared by threads, one at a time; SQLite's errors become the store's
    own (`to_error`: a full disk, a damaged file, in words)."""

    def __init__(
        self, db: sqlite3.Connection, to_error: Callable[[sqlite3.DatabaseError], StorageError]
    ) -> None:
        self._db = db
        self._to_error = to_error
        self._lock = threading.RLock()

    def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            try:
                return work(self._db)
            except sqlite3.DatabaseError as exc:
                raise self._to_error(exc) from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: takes the write lock up front, so it never deadlocks midway."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise self._to_error(exc) from exc
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                # A full disk (SQLITE_FULL) at COMMIT has rolled the transaction back already.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError):
                    raise self._to_error(exc) from exc
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()
