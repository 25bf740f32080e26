"""An installed chat store replaces the default one: the SQLite plugin is never asked, so
its file is never created (get_chat_store is firstresult)."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.models.chat_history import SessionPage
from llamadesk.core.paths import AppPaths
from llamadesk.core.plugins import DEFAULT_PLUGINS
from llamadesk.plugins.sqlite import DB_NAME, SQLiteChatStore


class SyncedStore(SQLiteChatStore):
    """A store a plugin could offer (chats in a synced folder); SQLite underneath for brevity."""

    closed = False

    def close(self) -> None:
        SyncedStore.closed = True
        super().close()


def test_an_installed_store_wins_and_sqlite_is_never_opened(paths: AppPaths, monkeypatch) -> None:
    synced = paths.data_dir / "synced" / "chats.sqlite"
    plugin = types.ModuleType("fixture_synced_store")
    plugin.get_chat_store = hookimpl(lambda context: SyncedStore(synced))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fixture_synced_store", plugin)

    app = App(
        paths, load_entrypoints=False, default_plugins=(*DEFAULT_PLUGINS, "fixture_synced_store")
    ).start()
    try:
        created = app.commands.invoke("chat.new", {"title": "kept elsewhere"})
        listed = app.commands.invoke("chat.list")
        assert isinstance(listed, SessionPage) and [s.id for s in listed.sessions] == [created.id]
    finally:
        app.close()
    assert SyncedStore.closed
    assert synced.is_file()
    assert not (paths.data_dir / DB_NAME).exists()
    assert not any(Path(paths.data_dir).glob(f"{DB_NAME}*"))


def test_with_no_store_chat_commands_say_so(paths: AppPaths) -> None:
    app = App(paths, load_entrypoints=False, blocked=["sqlite"]).start()
    try:
        with pytest.raises(CommandError) as caught:
            app.commands.invoke("chat.list")
        assert caught.value.code == "unavailable"
    finally:
        app.close()
