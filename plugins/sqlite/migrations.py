"""Named schema migrations, applied in order at open and recorded in `_migrations`.

A migration is never edited once released: a change to the schema is a new
function appended to `MIGRATIONS`. Each runs in its own `BEGIN IMMEDIATE`
transaction and re-checks that it was not applied meanwhile, so two processes
opening a new database at once do not apply one twice.
"""

from __future__ import annotations

import sqlite3

from llamadesk.lib import sqlite_db
from llamadesk.lib.sqlite_db import Migration


def m001_sessions_and_messages(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            model TEXT,
            system_prompt TEXT NOT NULL DEFAULT '',
            preset TEXT,
            pinned INTEGER NOT NULL DEFAULT 0,
            archived INTEGER NOT NULL DEFAULT 0,
            active_leaf_id TEXT
        )
        """
    )
    db.execute("CREATE INDEX sessions_by_recency ON sessions (archived, pinned, updated_at)")
    # `seq` is the FTS rowid: an explicit INTEGER PRIMARY KEY, so VACUUM never renumbers it.
    # Message ids are opaque text. No foreign key on parent_id: a cascade down a long chain
    # would hit SQLite's trigger depth limit; the session's cascade removes the whole tree.
    db.execute(
        """
        CREATE TABLE messages (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            parent_id TEXT,
            role TEXT NOT NULL,
            content TEXT NOT NULL DEFAULT '',
            reasoning TEXT NOT NULL DEFAULT '',
            model TEXT,
            state TEXT NOT NULL,
            created_at REAL NOT NULL,
            sampling TEXT,
            usage TEXT,
            stop_reason TEXT,
            error TEXT
        )
        """
    )
    db.execute("CREATE INDEX messages_by_session ON messages (session_id, seq)")
    db.execute("CREATE INDEX messages_by_parent ON messages (parent_id, seq)")


def m002_full_text_search(db: sqlite3.Connection) -> None:
    # External-content FTS5 over messages.content, kept in sync by triggers.
    # prefix='2 3 4 5': prefixes as typed read one doclist instead of merging every term's.
    db.execute(
        """
        CREATE VIRTUAL TABLE messages_fts USING fts5 (
            content, content='messages', content_rowid='seq',
            tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5'
        )
        """
    )
    db.execute(
        """
        CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts (rowid, content) VALUES (new.seq, new.content);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
            INSERT INTO messages_fts (rowid, content) VALUES (new.seq, new.content);
        END
        """
    )
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")


def m003_presets(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE presets (name TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at REAL NOT NULL)")


def m004_tool_calls(db: sqlite3.Connection) -> None:
    """Answers that call tools, the tools' results, and the tools a chat may use (JSON)."""
    db.execute("ALTER TABLE messages ADD COLUMN tool_calls TEXT")
    db.execute("ALTER TABLE messages ADD COLUMN tool_result TEXT")
    db.execute("ALTER TABLE sessions ADD COLUMN tools TEXT")


def m005_ratings(db: sqlite3.Connection) -> None:
    """The user's like or dislike of an answer ('up' / 'down')."""
    db.execute("ALTER TABLE messages ADD COLUMN rating TEXT")


def m006_documents(db: sqlite3.Connection) -> None:
    """What of attached files and collections a user message sent, and what an answer may cite
    (JSON lists of Attachment and Source)."""
    db.execute("ALTER TABLE messages ADD COLUMN attachments TEXT")
    db.execute("ALTER TABLE messages ADD COLUMN sources TEXT")


def m007_session_collections(db: sqlite3.Connection) -> None:
    """The document collections a chat searches for every message (JSON list of names)."""
    db.execute("ALTER TABLE sessions ADD COLUMN collections TEXT")


MIGRATIONS: tuple[Migration, ...] = (
    m001_sessions_and_messages,
    m002_full_text_search,
    m003_presets,
    m004_tool_calls,
    m005_ratings,
    m006_documents,
    m007_session_collections,
)


def migrate(db: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[str]:
    """Apply the chat store's migrations not yet recorded; the names applied now."""
    return sqlite_db.migrate(db, migrations)
