"""`IndexStore`: the collections, files, passages and vectors in `documents.db`.

One connection behind a lock, WAL, every write a short `BEGIN IMMEDIATE` transaction
(one file's passages at most): search never waits long behind indexing, and the
embedding, which is slow, happens outside any transaction. Two app processes (the
window and the command line) may share the file; a collection's `version` grows with
every change so each can tell its vectors in memory are stale, and a lease in the row
keeps two processes from indexing one collection at once.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from llamadesk.core.errors import N_, InsufficientSpace, StorageError
from llamadesk.lib import sqlite_db

from .chunking import Chunk
from .index_rows import (
    CHUNK_COLUMNS,
    CHUNK_FROM,
    COLLECTION_COLUMNS,
    ChunkRow,
    CollectionRow,
    Counts,
    FileRow,
    chunk_row,
    collection_row,
)
from .schema import MIGRATIONS

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 15.0
LEASE_S = 120.0  # an indexer renews its lease after each file; a crashed one's runs out


class IndexStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = _connect(path)
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "locked" in str(exc):
                raise _storage_error(path, exc) from exc
            # The index holds nothing the folders do not: a damaged one is set aside and rebuilt.
            aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            path.rename(aside)
            for suffix in ("-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
            log.error("document index %s is unusable (%s); moved to %s", path, exc, aside)
            self.notices.append(
                f"The document index could not be read ({exc}); it was kept as {aside} and collections "
                "must be added again."
            )
            db = _connect(path)
        self._db = sqlite_db.LockedConnection(db, lambda exc: _storage_error(path, exc))

    def close(self) -> None:
        self._db.close()

    # -- collections

    def add_collection(self, name: str, folder: str, *, hidden: bool = False) -> CollectionRow:
        with self._db.write() as db:
            db.execute(
                "INSERT INTO collections (name, folder, hidden, created_at) VALUES (?, ?, ?, ?)",
                (name, folder, int(hidden), time.time()),
            )
        found = self.collection(name)
        assert found is not None
        return found

    def collection(self, name: str) -> CollectionRow | None:
        row = self._db.read(
            lambda db: db.execute(
                f"SELECT {COLLECTION_COLUMNS} FROM collections WHERE name = ?", (name,)
            ).fetchone()
        )
        return collection_row(row) if row else None

    def collection_by_id(self, collection_id: int) -> CollectionRow | None:
        row = self._db.read(
            lambda db: db.execute(
                f"SELECT {COLLECTION_COLUMNS} FROM collections WHERE id = ?", (collection_id,)
            ).fetchone()
        )
        return collection_row(row) if row else None

    def collections(self, *, hidden: bool = False) -> list[CollectionRow]:
        rows = self._db.read(
            lambda db: db.execute(
                f"SELECT {COLLECTION_COLUMNS} FROM collections WHERE hidden = ? ORDER BY name", (int(hidden),)
            ).fetchall()
        )
        return [collection_row(row) for row in rows]

    def versions(self, ids: Sequence[int]) -> dict[int, int]:
        marks = ",".join("?" * len(ids))
        rows = self._db.read(
            lambda db: db.execute(
                f"SELECT id, version FROM collections WHERE id IN ({marks})", ids
            ).fetchall()
        )
        return dict(rows)

    def delete_collection(self, collection_id: int) -> None:
        """Its files' rows, passages and vectors go (the files themselves are never touched)."""
        with self._db.write() as db:
            db.execute("DELETE FROM collections WHERE id = ?", (collection_id,))

    def finish_indexing(self, collection_id: int, note: str | None) -> None:
        with self._db.write() as db:
            db.execute(
                "UPDATE collections SET indexed_at = ?, note = ? WHERE id = ?",
                (time.time(), note, collection_id),
            )

    def take_lease(self, collection_id: int, owner: str) -> bool:
        """Whether `owner` may index the collection now (no other process is)."""
        now = time.time()
        with self._db.write() as db:
            taken = db.execute(
                "UPDATE collections SET lease_owner = ?, lease_until = ? WHERE id = ? AND "
                "(lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)",
                (owner, now + LEASE_S, collection_id, owner, now),
            ).rowcount
        return taken > 0

    def release_lease(self, collection_id: int, owner: str) -> None:
        with self._db.write() as db:
            db.execute(
                "UPDATE collections SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
                (collection_id, owner),
            )

    # -- files

    def files(self, collection_id: int) -> dict[str, FileRow]:
        rows = self._db.read(
            lambda db: db.execute(
                "SELECT id, path, size, mtime_ns, sha256, problem, chunks FROM files WHERE collection_id = ?",
                (collection_id,),
            ).fetchall()
        )
        return {row[1]: FileRow(*row) for row in rows}

    def problems(self, collection_id: int, limit: int) -> list[tuple[str, str]]:
        return self._db.read(
            lambda db: db.execute(
                "SELECT path, problem FROM files WHERE collection_id = ? AND problem IS NOT NULL "
                "ORDER BY path LIMIT ?",
                (collection_id, limit),
            ).fetchall()
        )

    def same_content(self, sha256: str) -> int | None:
        """A file anywhere in the index with this content and passages (to copy from)."""
        row = self._db.read(
            lambda db: db.execute(
                "SELECT id FROM files WHERE sha256 = ? AND problem IS NULL AND chunks > 0 LIMIT 1", (sha256,)
            ).fetchone()
        )
        return row[0] if row else None

    def touch_file(self, file_id: int, size: int, mtime_ns: int) -> None:
        """The file was saved again with the same content: only its stat changed."""
        with self._db.write() as db:
            db.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?", (size, mtime_ns, file_id))

    def mark_used(self, file_id: int) -> None:
        with self._db.write() as db:
            db.execute("UPDATE files SET used_at = ? WHERE id = ?", (time.time(), file_id))

    def delete_files(self, collection_id: int, file_ids: Sequence[int]) -> None:
        with self._db.write() as db:
            for start in range(0, len(file_ids), 500):
                part = file_ids[start : start + 500]
                db.execute(f"DELETE FROM files WHERE id IN ({','.join('?' * len(part))})", part)
            db.execute("UPDATE collections SET version = version + 1 WHERE id = ?", (collection_id,))

    def save_file(
        self,
        collection_id: int,
        path: str,
        *,
        size: int,
        mtime_ns: int,
        sha256: str,
        format: str,
        pages: int | None,
        problem: str | None,
        chunks: Sequence[Chunk],
    ) -> tuple[int, list[int]]:
        """Replace the file's row and passages (its old vectors go with them): (file id, chunk ids)."""
        with self._db.write() as db:
            db.execute("DELETE FROM files WHERE collection_id = ? AND path = ?", (collection_id, path))
            file_id = db.execute(
                "INSERT INTO files (collection_id, path, size, mtime_ns, sha256, format, pages, problem, "
                "chunks, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    collection_id,
                    path,
                    size,
                    mtime_ns,
                    sha256,
                    format,
                    pages,
                    problem,
                    len(chunks),
                    time.time(),
                ),
            ).lastrowid
            assert file_id is not None
            ids = []
            for ord_, chunk in enumerate(chunks):
                cursor = db.execute(
                    "INSERT INTO chunks (file_id, collection_id, ord, text, heading, page, line_start, "
                    "line_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        file_id,
                        collection_id,
                        ord_,
                        chunk.text,
                        path,
                        chunk.page,
                        chunk.line_start,
                        chunk.line_end,
                    ),
                )
                assert cursor.lastrowid is not None
                ids.append(cursor.lastrowid)
            db.execute("UPDATE collections SET version = version + 1 WHERE id = ?", (collection_id,))
        return file_id, ids

    def copy_file(
        self, source_id: int, collection_id: int, path: str, *, size: int, mtime_ns: int
    ) -> tuple[int, list[int]]:
        """A file whose content is indexed already (a copy, a renamed file): its passages and
        vectors are copied, not read and embedded again."""
        with self._db.write() as db:
            db.execute("DELETE FROM files WHERE collection_id = ? AND path = ?", (collection_id, path))
            file_id = db.execute(
                "INSERT INTO files (collection_id, path, size, mtime_ns, sha256, format, pages, problem, "
                "chunks, used_at) SELECT ?, ?, ?, ?, sha256, format, pages, problem, chunks, ? FROM files "
                "WHERE id = ?",
                (collection_id, path, size, mtime_ns, time.time(), source_id),
            ).lastrowid
            ids = []
            sources = db.execute(
                "SELECT id, ord, text, page, line_start, line_end FROM chunks WHERE file_id = ? ORDER BY ord",
                (source_id,),
            ).fetchall()
            for old_id, ord_, text, page, line_start, line_end in sources:
                new_id = db.execute(
                    "INSERT INTO chunks (file_id, collection_id, ord, text, heading, page, line_start, "
                    "line_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (file_id, collection_id, ord_, text, path, page, line_start, line_end),
                ).lastrowid
                db.execute(
                    "INSERT INTO vectors (chunk_id, model, vector) SELECT ?, model, vector FROM vectors "
                    "WHERE chunk_id = ?",
                    (new_id, old_id),
                )
                assert new_id is not None
                ids.append(new_id)
            db.execute("UPDATE collections SET version = version + 1 WHERE id = ?", (collection_id,))
        assert file_id is not None
        return file_id, ids

    def trim_hidden(self, collection_id: int, keep: int) -> None:
        """Keep the `keep` most recently used files of a hidden collection (attached files)."""
        with self._db.write() as db:
            db.execute(
                "DELETE FROM files WHERE collection_id = ? AND id NOT IN "
                "(SELECT id FROM files WHERE collection_id = ? ORDER BY used_at DESC LIMIT ?)",
                (collection_id, collection_id, keep),
            )

    # -- passages and vectors

    def unembedded(
        self, collection_id: int, model: str, limit: int, file_id: int | None = None
    ) -> list[tuple[int, str]]:
        """(id, text) of passages without a vector of `model`, oldest first."""
        where = "c.collection_id = ?" if file_id is None else "c.file_id = ?"
        return self._db.read(
            lambda db: db.execute(
                "SELECT c.id, c.text FROM chunks AS c LEFT JOIN vectors AS v ON v.chunk_id = c.id "
                f"WHERE {where} AND (v.chunk_id IS NULL OR v.model != ?) ORDER BY c.id LIMIT ?",
                (collection_id if file_id is None else file_id, model, limit),
            ).fetchall()
        )

    def save_vectors(self, collection_id: int, model: str, rows: Sequence[tuple[int, bytes]]) -> int:
        """Store vectors of passages that still exist (a file may have changed meanwhile); the
        number stored."""
        with self._db.write() as db:
            stored = 0
            for chunk_id, blob in rows:
                stored += db.execute(
                    "INSERT OR REPLACE INTO vectors (chunk_id, model, vector) "
                    "SELECT id, ?, ? FROM chunks WHERE id = ?",
                    (model, blob, chunk_id),
                ).rowcount
            db.execute("UPDATE collections SET version = version + 1 WHERE id = ?", (collection_id,))
        return stored

    def vectors(self, collection_id: int, model: str) -> list[tuple[int, int, bytes]]:
        """(chunk id, file id, vector) of every passage of the collection embedded by `model`."""
        return self._db.read(
            lambda db: db.execute(
                "SELECT c.id, c.file_id, v.vector FROM chunks AS c JOIN vectors AS v ON v.chunk_id = c.id "
                "WHERE c.collection_id = ? AND v.model = ? ORDER BY c.id",
                (collection_id, model),
            ).fetchall()
        )

    def counts(self, collection_id: int, model: str) -> Counts:
        def work(db: sqlite3.Connection) -> Counts:
            files, skipped = db.execute(
                "SELECT count(*) FILTER (WHERE problem IS NULL), count(*) FILTER (WHERE problem IS NOT NULL) "
                "FROM files WHERE collection_id = ?",
                (collection_id,),
            ).fetchone()
            chunks = db.execute(
                "SELECT count(*) FROM chunks WHERE collection_id = ?", (collection_id,)
            ).fetchone()[0]
            embedded = db.execute(
                "SELECT count(*) FROM chunks AS c JOIN vectors AS v ON v.chunk_id = c.id "
                "WHERE c.collection_id = ? AND v.model = ?",
                (collection_id, model),
            ).fetchone()[0]
            return Counts(files=files, skipped=skipped, chunks=chunks, embedded=embedded)

        return self._db.read(work)

    def keyword_ranked(
        self, collection_ids: Sequence[int], match: str, limit: int, file_id: int | None = None
    ) -> list[int]:
        """Passage ids matching an FTS5 query, best BM25 first."""
        if file_id is not None:
            where, args = "c.file_id = ?", [file_id]
        else:
            where, args = f"c.collection_id IN ({','.join('?' * len(collection_ids))})", list(collection_ids)
        rows = self._db.read(
            lambda db: db.execute(
                "SELECT c.id FROM chunks_fts JOIN chunks AS c ON c.id = chunks_fts.rowid "
                f"WHERE chunks_fts MATCH ? AND {where} ORDER BY bm25(chunks_fts, 1.0, 0.5) LIMIT ?",
                [match, *args, limit],
            ).fetchall()
        )
        return [row[0] for row in rows]

    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        found: dict[int, ChunkRow] = {}
        for start in range(0, len(ids), 500):
            part = list(ids[start : start + 500])
            rows = self._db.read(
                lambda db, part=part: db.execute(  # type: ignore[misc]
                    f"SELECT {CHUNK_COLUMNS} FROM {CHUNK_FROM} WHERE c.id IN ({','.join('?' * len(part))})",
                    part,
                ).fetchall()
            )
            for row in rows:
                found[row[0]] = chunk_row(row)
        return found

    def file_chunks(self, file_id: int) -> list[ChunkRow]:
        rows = self._db.read(
            lambda db: db.execute(
                f"SELECT {CHUNK_COLUMNS} FROM {CHUNK_FROM} WHERE c.file_id = ? ORDER BY c.ord", (file_id,)
            ).fetchall()
        )
        return [chunk_row(row) for row in rows]


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite_db.connect(path, MIGRATIONS, BUSY_TIMEOUT_S)


def _storage_error(path: Path, exc: sqlite3.DatabaseError) -> StorageError:
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return InsufficientSpace(
            N_("the disk holding the document index ({parent}) is full; free some space"),
            path=str(path),
            parent=path.parent,
        )
    return StorageError(N_("the document index {path} failed: {error}"), path=str(path), error=exc)
