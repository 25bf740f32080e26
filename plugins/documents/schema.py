"""The index's SQLite schema (`documents.db` in the data folder), as named migrations.

Like the chat store's: a migration is never edited once released, a change is a new
function at the end, and each runs in its own transaction, recorded in `_migrations`.

Vectors are float32 blobs in a plain table beside the text, not in sqlite-vec: the
Python this app ships with may be built without loadable extensions (the one on our
build machines is), and a search scans the vectors of a collection held in memory
(numpy) anyway: benchmarks/documents.py measures it over 100,000 passages.
"""

from __future__ import annotations

import sqlite3

from llamadesk.lib import sqlite_db
from llamadesk.lib.sqlite_db import Migration


def m001_collections_files_chunks(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE collections (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            folder TEXT NOT NULL,
            hidden INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            indexed_at REAL,
            version INTEGER NOT NULL DEFAULT 0,
            note TEXT,
            lease_owner TEXT,
            lease_until REAL
        )
        """
    )
    # `path` is relative to the collection's folder (for attached files: the file's sha256).
    db.execute(
        """
        CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            format TEXT NOT NULL DEFAULT '',
            pages INTEGER,
            problem TEXT,
            chunks INTEGER NOT NULL DEFAULT 0,
            used_at REAL,
            UNIQUE (collection_id, path)
        )
        """
    )
    db.execute("CREATE INDEX files_by_hash ON files (sha256)")
    db.execute(
        """
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
            collection_id INTEGER NOT NULL,
            ord INTEGER NOT NULL,
            text TEXT NOT NULL,
            heading TEXT NOT NULL DEFAULT '',
            page INTEGER,
            line_start INTEGER,
            line_end INTEGER
        )
        """
    )
    db.execute("CREATE INDEX chunks_by_file ON chunks (file_id, ord)")
    db.execute("CREATE INDEX chunks_by_collection ON chunks (collection_id)")
    # External-content FTS5: the text is stored once, in `chunks`. Porter stemming, so
    # "founded" finds "founding"; `heading` (the file's path) is searched too, weighted less.
    db.execute(
        """
        CREATE VIRTUAL TABLE chunks_fts USING fts5 (
            text, heading, content='chunks', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )
        """
    )
    db.execute(
        """
        CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts (rowid, text, heading) VALUES (new.id, new.text, new.heading);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts (chunks_fts, rowid, text, heading)
            VALUES ('delete', old.id, old.text, old.heading);
        END
        """
    )
    db.execute(
        """
        CREATE TABLE vectors (
            chunk_id INTEGER PRIMARY KEY REFERENCES chunks (id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            vector BLOB NOT NULL
        )
        """
    )


MIGRATIONS: tuple[Migration, ...] = (m001_collections_files_chunks,)


def migrate(db: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[str]:
    """Apply the index's migrations not yet recorded; the names applied now."""
    return sqlite_db.migrate(db, migrations)
