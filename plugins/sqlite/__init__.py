"""The default chat store: SQLite (stdlib), one file `chats.db` under the data folder.

`trylast`, so an installed plugin that answers `get_chat_store` replaces it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llamadesk.core.hookspecs import hookimpl

from .store import SQLiteChatStore

if TYPE_CHECKING:
    from llamadesk.core.interfaces.plugin_context import PluginContext

DB_NAME = "chats.db"

__all__ = ["DB_NAME", "SQLiteChatStore", "get_chat_store"]


@hookimpl(trylast=True)
def get_chat_store(context: PluginContext) -> SQLiteChatStore:
    return SQLiteChatStore(context.paths.data_dir / DB_NAME)
