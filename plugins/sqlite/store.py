"""`SQLiteChatStore`: the default chat store, one SQLite file under the data folder."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, TypeVar

from llamadesk.core.errors import N_, InsufficientSpace, StorageError
from llamadesk.core.models.chat_history import (
    ChatMessage,
    ChatPreset,
    ChatSession,
    SearchPage,
    SearchQuery,
    SessionPage,
)
from llamadesk.lib import sqlite_db

from .database import open_or_replace
from .rows import (
    MESSAGE_COLUMNS,
    SESSION_COLUMNS,
    message_from_row,
    message_row,
    messages_from_rows,
    paused_gc,
    preset_from_data,
    session_from_row,
    session_row,
)
from .search import run_search

T = TypeVar("T")

_UPSERT_MESSAGE = (
    f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET content = excluded.content, reasoning = excluded.reasoning, "
    "model = excluded.model, state = excluded.state, sampling = excluded.sampling, "
    "usage = excluded.usage, stop_reason = excluded.stop_reason, error = excluded.error, "
    "tool_calls = excluded.tool_calls, tool_result = excluded.tool_result, rating = excluded.rating, "
    "attachments = excluded.attachments, sources = excluded.sources"
)
_INSERT_SESSION = f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


class SQLiteChatStore:
    """Thread-safe (one connection behind a lock) and multi-process safe (WAL, BEGIN IMMEDIATE)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            db, self._notices = open_or_replace(path)
        except sqlite3.DatabaseError as exc:  # a full or read-only disk: the file is left as it is
            raise _storage_error(path, exc) from exc
        self._db = sqlite_db.LockedConnection(db, lambda exc: _storage_error(path, exc))

    @property
    def notices(self) -> list[str]:
        return list(self._notices)

    def save_session(self, session: ChatSession) -> None:
        with self._db.write() as db:
            exists = db.execute("SELECT 1 FROM sessions WHERE id = ?", (session.id,)).fetchone()
            if exists:  # an UPDATE, because INSERT OR REPLACE would cascade-delete its messages
                db.execute(
                    "UPDATE sessions SET title = ?, created_at = ?, updated_at = ?, model = ?, "
                    "system_prompt = ?, preset = ?, pinned = ?, archived = ?, active_leaf_id = ?, tools = ?, "
                    "collections = ? WHERE id = ?",
                    (*session_row(session)[1:], session.id),
                )
            else:
                db.execute(_INSERT_SESSION, session_row(session))

    def get_session(self, session_id: str) -> ChatSession | None:
        row = self._db.read(
            lambda db: db.execute(
                f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
        )
        return session_from_row(row) if row else None

    def list_sessions(self, *, offset: int, limit: int, include_archived: bool) -> SessionPage:
        where = "" if include_archived else "WHERE archived = 0"

        def work(db: sqlite3.Connection) -> SessionPage:
            rows = db.execute(
                f"SELECT {SESSION_COLUMNS} FROM sessions {where} "
                "ORDER BY pinned DESC, updated_at DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            total = db.execute(f"SELECT count(*) FROM sessions {where}").fetchone()[0]
            return SessionPage(
                sessions=[session_from_row(r) for r in rows], total=total, offset=offset, limit=limit
            )

        return self._db.read(work)

    def delete_session(self, session_id: str) -> bool:
        with self._db.write() as db:
            return db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0

    # -- messages

    def save_message(self, message: ChatMessage, *, make_active: bool = False) -> None:
        with self._db.write() as db:
            db.execute(_UPSERT_MESSAGE, message_row(message))
            if make_active:
                db.execute(
                    "UPDATE sessions SET updated_at = ?, active_leaf_id = ? WHERE id = ?",
                    (time.time(), message.id, message.session_id),
                )
            else:
                db.execute(
                    "UPDATE sessions SET updated_at = ? WHERE id = ?", (time.time(), message.session_id)
                )

    def get_message(self, message_id: str) -> ChatMessage | None:
        row = self._db.read(
            lambda db: db.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
        )
        return message_from_row(row) if row else None

    def get_branch(self, leaf_id: str) -> list[ChatMessage]:
        rows = self._db.read(
            lambda db: db.execute(
                "WITH RECURSIVE chain (id, depth) AS ("
                "  SELECT ?, 0"
                "  UNION ALL"
                "  SELECT m.parent_id, chain.depth + 1 FROM chain JOIN messages AS m ON m.id = chain.id"
                "  WHERE m.parent_id IS NOT NULL"
                ") "
                f"SELECT {', '.join('m.' + c.strip() for c in MESSAGE_COLUMNS.split(','))} "
                "FROM chain JOIN messages AS m ON m.id = chain.id ORDER BY chain.depth DESC",
                (leaf_id,),
            ).fetchall()
        )
        return messages_from_rows(rows)

    def get_active_branch(
        self, session_id: str, leaf_id: str, limit: int | None = None
    ) -> tuple[list[ChatMessage], dict[str, list[str]], int]:
        def work(db: sqlite3.Connection) -> tuple[list[ChatMessage], dict[str, list[str]], int]:
            # One scan of the session (index on session_id, seq) gives the branch and every
            # message's siblings; a recursive CTE walking parents was slower on long chats.
            # Paged (`limit`), the scan reads only ids and the rows shown are fetched after.
            full = None
            if limit is None:
                full = db.execute(
                    f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE session_id = ? ORDER BY seq", (session_id,)
                ).fetchall()
                links = [(row[0], row[2]) for row in full]
            else:
                links = db.execute(
                    "SELECT id, parent_id FROM messages WHERE session_id = ? ORDER BY seq", (session_id,)
                ).fetchall()
            parents = dict(links)
            children: dict[str | None, list[str]] = {}
            for message_id, parent_id in links:
                children.setdefault(parent_id, []).append(message_id)
            chain: list[str] = []
            current: str | None = leaf_id if leaf_id in parents else None
            while current is not None:
                chain.append(current)
                current = parents[current]
            chain.reverse()
            total = len(chain)
            if full is not None:
                by_id = {row[0]: row for row in full}
                rows = [by_id[message_id] for message_id in chain]
                shown = chain
            else:
                shown = chain[max(0, total - (limit or total)) :]
                rows = _rows_by_id(db, shown)
            siblings = {}
            for message_id in shown:
                family = children[parents[message_id]]
                if len(family) > 1:
                    siblings[message_id] = family
            return messages_from_rows(rows), siblings, total

        with paused_gc():  # the scan alone makes ~10,000 tuples and strings
            return self._db.read(work)

    def get_tree(self, session_id: str) -> list[ChatMessage]:
        rows = self._db.read(
            lambda db: db.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE session_id = ? ORDER BY seq", (session_id,)
            ).fetchall()
        )
        return messages_from_rows(rows)

    def newest_leaf(self, message_id: str) -> str:
        def work(db: sqlite3.Connection) -> str:
            current = message_id
            while True:
                row = db.execute(
                    "SELECT id FROM messages WHERE parent_id = ? ORDER BY seq DESC LIMIT 1", (current,)
                ).fetchone()
                if row is None:
                    return current
                current = row[0]

        return self._db.read(work)

    def set_active_leaf(self, session_id: str, leaf_id: str) -> None:
        with self._db.write() as db:
            db.execute(
                "UPDATE sessions SET active_leaf_id = ?, updated_at = ? WHERE id = ?",
                (leaf_id, time.time(), session_id),
            )

    def import_session(self, session: ChatSession, messages: list[ChatMessage]) -> None:
        with self._db.write() as db:
            db.execute(_INSERT_SESSION, session_row(session))
            db.executemany(_UPSERT_MESSAGE, [message_row(m) for m in messages])

    # -- search

    def search(self, query: SearchQuery) -> SearchPage:
        return self._db.read(lambda db: run_search(db, query))

    # -- presets

    def list_presets(self) -> list[ChatPreset]:
        rows = self._db.read(lambda db: db.execute("SELECT data FROM presets ORDER BY name").fetchall())
        return [preset_from_data(r[0]) for r in rows]

    def save_preset(self, preset: ChatPreset) -> None:
        with self._db.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO presets (name, data, updated_at) VALUES (?, ?, ?)",
                (preset.name, preset.model_dump_json(), time.time()),
            )

    def delete_preset(self, name: str) -> bool:
        with self._db.write() as db:
            return db.execute("DELETE FROM presets WHERE name = ?", (name,)).rowcount > 0

    def close(self) -> None:
        self._db.close()


def _rows_by_id(db: sqlite3.Connection, ids: list[str]) -> list[Any]:
    """Full rows for `ids`, in that order (fetched in chunks under SQLite's variable limit)."""
    found: dict[str, Any] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.execute(f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id IN ({marks})", chunk):
            found[row[0]] = row
    return [found[i] for i in ids]


def _storage_error(path: Path, exc: sqlite3.DatabaseError) -> StorageError:
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return InsufficientSpace(
            N_(
                "the disk holding the chat history ({parent}) is full, so it cannot be saved; free some space"
            ),
            path=str(path),
            parent=path.parent,
        )
    return StorageError(N_("the chat history database {path} failed: {error}"), path=str(path), error=exc)
