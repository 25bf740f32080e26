"""The hooks a plugin can implement. Each is documented in docs/plugins.md.

Rules: the core calls hooks only from the typed facade in `core/hooks.py`, with
keyword arguments; arguments are only ever added, never renamed or removed.
Aggregating hooks return lists (or one item); single providers are `firstresult`
(the first answer that is not None wins and later plugins are not asked);
lifecycle hooks are `historic` (a plugin registered later still gets the call).
Every hook but `register_settings` receives the plugin context
(`core/interfaces/plugin_context.py`), never the app itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    from .commands import CommandSpec
    from .interfaces.backend import Backend
    from .interfaces.chat_store import ChatStore
    from .interfaces.document_index import DocumentIndex
    from .interfaces.model_source import ModelSource
    from .interfaces.plugin_context import PluginContext
    from .interfaces.tool_provider import ToolProvider
    from .models.documents import DocumentText
    from .models.library import DiscoveredModel
    from .models.settings import SettingsSection
    from .models.tools import PluginTool

PROJECT = "llamadesk"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_settings() -> SettingsSection | None:
    """Declare this plugin's settings: a `UserOptions` model under a namespace of its own.

    Called once, before any other hook, so the context already holds the values.
    `config.get/set` and `llamadesk config` address them as `<namespace>.<field>`, and
    the Settings screen shows them as a section made from the fields' descriptions.
    A namespace that is taken is reported as this plugin's failure.
    """


@hookspec
def register_commands(context: PluginContext) -> list[CommandSpec]:  # type: ignore[empty-body]
    """Return the commands this plugin adds to the command table.

    Called once at start for every plugin. Ids must be unique across all
    plugins: a duplicate is reported as that plugin's failure.
    """


@hookspec
def register_backends(context: PluginContext) -> list[Backend]:  # type: ignore[empty-body]
    """Return inference backends (things that load a model and generate).

    Called when the runtime first needs them. The runtime picks the first backend
    whose `can_load()` accepts a model; every backend's `remote_models()` are
    listed with the library's models.
    """


@hookspec
def register_model_sources(context: PluginContext) -> list[ModelSource]:  # type: ignore[empty-body]
    """Return model sources (registries, hubs) that can resolve and pull references.

    The library asks each source, in order, whether it handles a reference.
    """


@hookspec
def discover_local_models(context: PluginContext) -> list[DiscoveredModel]:  # type: ignore[empty-body]
    """Return GGUF files other apps keep on this machine (a cache, another app's folder),
    found read-only, that the user can import or use in place.

    Called for every `models.list` that asks for them: be quick, open nothing but names.
    The library fills in each file's suggested name and whether it is imported already.
    """


@hookspec
def register_tools(context: PluginContext) -> list[PluginTool]:  # type: ignore[empty-body]
    """Return tools written as plain Python that a model may call in a chat.

    Each `PluginTool` has a name, a description, a JSON schema of its arguments and a
    `handler(arguments) -> str`. The plugin is their provider: the model sees them as
    `<plugin>_<name>`, and the user approves each call unless the tool is `read_only`
    and the user trusts the plugin. Called once, at start.
    """


@hookspec
def register_tool_providers(context: PluginContext) -> list[ToolProvider]:  # type: ignore[empty-body]
    """Return the tool providers this plugin has now (an MCP plugin: one per enabled server).

    `core/interfaces/tool_provider.py` says what a provider offers. Called each time the
    app lists tools (for every answer that offers them), so a server added or removed
    shows at once: answer from what the plugin holds, without I/O.
    """


@hookspec(firstresult=True)
def get_chat_store(context: PluginContext) -> ChatStore | None:
    """Return the store chats are kept in; the first answer that is not None wins.

    The default SQLite store is `trylast`, so an installed plugin replaces it and
    the SQLite file is never opened.
    """


@hookspec(firstresult=True)
def read_document(context: PluginContext, path: Path, max_bytes: int) -> DocumentText | None:
    """Read a file's text with where each part is (pages, lines); None if not this plugin's format.

    The first answer that is not None wins; the default reader (`plugins/documents`: plain
    text, Markdown, source code, HTML, PDF, DOCX) is `trylast`, so a plugin reading another
    format (EPUB, ODT...) answers for its files and returns None for the rest. `path` is an
    existing file of at most `max_bytes`. Never raise for a bad file: return `DocumentText`
    with `problem` set (encrypted, scanned only, corrupt), in one sentence. Called from
    worker threads, several at once; the file is only ever read, never changed.
    """


@hookspec(firstresult=True)
def get_document_index(context: PluginContext) -> DocumentIndex | None:
    """Return the index chats take attached files and collections' passages from; the first
    answer that is not None wins.

    The default (`plugins/documents`) is `trylast`. `core/interfaces/document_index.py` says
    what it does. Asked once, when the app starts; without one, a message with files or
    collections is refused with a clear message.
    """


@hookspec(historic=True)
def app_started(context: PluginContext) -> None:
    """Called once the app is built and every command is registered.

    Historic: a plugin registered later still receives it at registration.
    """


@hookspec
def app_stopping(context: PluginContext) -> None:
    """Called before the app closes: stop threads, close files, unload models."""
