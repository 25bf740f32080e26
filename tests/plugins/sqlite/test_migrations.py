"""Named migrations: a blank database, and an upgrade from the first schema."""

from __future__ import annotations

import sqlite3
import time

from llamadesk.core.models.chat_history import SearchQuery
from llamadesk.plugins.sqlite import SQLiteChatStore
from llamadesk.plugins.sqlite.migrations import MIGRATIONS, m001_sessions_and_messages, migrate


def test_blank_database_gets_every_migration_once(db_path) -> None:
    store = SQLiteChatStore(db_path)
    store.close()
    db = sqlite3.connect(db_path, isolation_level=None)
    names = [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == [m.__name__ for m in MIGRATIONS]
    assert migrate(db) == []  # nothing left to do on the next open


def test_database_made_by_the_first_schema_is_upgraded(db_path) -> None:
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path, isolation_level=None)
    assert migrate(db, (m001_sessions_and_messages,)) == ["m001_sessions_and_messages"]
    now = time.time()
    db.execute(
        "INSERT INTO sessions (id, title, created_at, updated_at) VALUES ('s1', 'Old chat', ?, ?)", (now, now)
    )
    db.execute(
        "INSERT INTO messages (id, session_id, role, content, state, created_at) "
        "VALUES ('m1', 's1', 'user', 'an aardvark from before the upgrade', 'complete', ?)",
        (now,),
    )
    db.close()

    store = SQLiteChatStore(db_path)
    try:
        hits = store.search(SearchQuery(text="aardvark")).hits
        assert [h.message_id for h in hits] == ["m1"]  # the FTS migration indexed old messages
        assert store.list_presets() == []  # the presets table exists
        assert store.get_session("s1").title == "Old chat"
        assert store.get_session("s1").tools == []  # added by m004: old chats offer no tools
        assert store.get_session("s1").collections == []  # added by m007: old chats search none
        old = store.get_message("m1")
        assert old is not None and old.tool_calls == [] and old.tool_result is None
        assert old.attachments == [] and old.sources == []  # added by m006: nothing was attached
    finally:
        store.close()
    names = [r[0] for r in sqlite3.connect(db_path).execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == [m.__name__ for m in MIGRATIONS]
