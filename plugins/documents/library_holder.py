"""One `DocumentLibrary` per app (plugin context), opened on first use and closed when the app stops.

Opened lazily so that a command-line run that never touches documents neither opens
`documents.db` nor starts the indexer's threads.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

from llamadesk.core.interfaces.plugin_context import PluginContext
from llamadesk.core.models.documents import Attachment, DocumentText, ReadDocumentParams, Source
from llamadesk.core.streaming import CancelToken, EventSink

from .embedder import PassageEmbedder
from .library import DocumentLibrary
from .settings import DocumentsSettings

_libraries: weakref.WeakKeyDictionary[PluginContext, DocumentLibrary] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def library_for(context: PluginContext) -> DocumentLibrary:
    with _lock:
        found = _libraries.get(context)
        if found is None:
            found = _libraries[context] = _open(context)
        return found


class ChatDocuments:
    """The document index the chat is given at start: opens the library only when a message
    first attaches a file or searches a collection."""

    def __init__(self, context: PluginContext) -> None:
        self._context = context

    def gather(
        self,
        files: list[str],
        collections: list[str],
        question: str,
        prompt_tokens: int,
        on_event: EventSink | None,
        token: CancelToken,
    ) -> tuple[list[Attachment], list[Source]]:
        library = library_for(self._context)
        return library.gather(files, collections, question, prompt_tokens, on_event, token)


def close_library(context: PluginContext) -> None:
    with _lock:
        found = _libraries.pop(context, None)
    if found is not None:
        found.close()


def _open(context: PluginContext) -> DocumentLibrary:
    def settings() -> DocumentsSettings:
        return context.settings(DocumentsSettings)

    def read(path: Path, max_bytes: int) -> DocumentText:
        # Through the command, so readers from other plugins are used too.
        result = context.commands.invoke(
            "documents.read", ReadDocumentParams(path=str(path), max_bytes=max_bytes)
        )
        assert isinstance(result, DocumentText)
        return result

    embedder = PassageEmbedder(context.commands, lambda: settings().embedding_model)
    library = DocumentLibrary(context.paths.data_dir / "documents.db", read, embedder, settings)
    for notice in library.notices:
        context.notify(notice)
    model = [embedder.model]

    def reembed_on_change() -> None:
        # A new embedding model: every collection's passages are embedded again (the
        # indexer embeds what lacks a vector of the current model); the text is not read again.
        if embedder.model != model[0]:
            model[0] = embedder.model
            library.reembed_all()

    library.on_close(context.on_settings_changed(reembed_on_change))
    library.indexer.start_rescans()
    return library
