"""Documents: the built-in readers (plain text, Markdown, source code, HTML, PDF, DOCX), and
collections: folders indexed in the background for chats to search (`collections.*`).

The readers answer the `read_document` hook `trylast`, so a plugin that reads the same
format answers first. The index lives in `documents.db` in the data folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.models.documents import DocumentText

from .commands import collection_commands
from .library_holder import ChatDocuments, close_library, library_for
from .readers import read_builtin
from .settings import SECTION

if TYPE_CHECKING:
    from llamadesk.core.commands import CommandSpec
    from llamadesk.core.interfaces.document_index import DocumentIndex
    from llamadesk.core.interfaces.plugin_context import PluginContext
    from llamadesk.core.models.settings import SettingsSection


@hookimpl(trylast=True)
def read_document(context: PluginContext, path: Path, max_bytes: int) -> DocumentText:
    return read_builtin(path, max_bytes)


@hookimpl(trylast=True)
def register_settings() -> SettingsSection:
    return SECTION


@hookimpl(trylast=True)
def register_commands(context: PluginContext) -> list[CommandSpec]:
    return collection_commands(lambda: library_for(context))


@hookimpl(trylast=True)
def get_document_index(context: PluginContext) -> DocumentIndex:
    return ChatDocuments(context)


@hookimpl
def app_stopping(context: PluginContext) -> None:
    close_library(context)
