"""The index's SQLite file: migrations applied once, and a damaged file set aside and rebuilt."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from llamadesk.core.app import App
from llamadesk.core.models.collections import CollectionList
from llamadesk.core.paths import AppPaths
from llamadesk.plugins.documents.schema import MIGRATIONS
from llamadesk.plugins.documents.store import IndexStore


def test_a_blank_index_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "documents.db"
    IndexStore(path).close()
    store = IndexStore(path)  # opened again: nothing more to apply
    store.close()
    names = [row[0] for row in sqlite3.connect(path).execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == [migration.__name__ for migration in MIGRATIONS]


def test_a_damaged_index_is_set_aside_and_collections_start_afresh(paths: AppPaths, tmp_path: Path) -> None:
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    damaged = paths.data_dir / "documents.db"
    damaged.write_bytes(b"this is not a database" * 100)
    app = App(paths, load_entrypoints=False).start()
    try:
        listing = app.commands.invoke("collections.list")
        assert isinstance(listing, CollectionList) and listing.collections == []
        notices = app.commands.invoke("system.info").notices  # type: ignore[attr-defined]
        assert any("document index could not be read" in notice for notice in notices)
    finally:
        app.close()
    kept = list(paths.data_dir.glob("documents.db.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not a database")
