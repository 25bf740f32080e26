"""The hooks a plugin can implement. Each is documented in docs/plugins.md.

Rules: hooks are called with keyword arguments only, from the facade in
`core/plugins.py`; arguments are only ever added, never renamed or removed.
Aggregating hooks return lists; single providers are `firstresult`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .app import App
    from .commands import CommandSpec
    from .interfaces.backend import Backend
    from .interfaces.chat_store import ChatStore
    from .interfaces.model_source import ModelSource

PROJECT = "llamadesk"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_commands(app: App) -> list[CommandSpec]:  # type: ignore[empty-body]
    """Return the commands this plugin adds to the command table.

    Called once at start for every plugin. Ids must be unique across all
    plugins: a duplicate is reported as that plugin's failure.
    """


@hookspec
def register_backends(app: App) -> list[Backend]:  # type: ignore[empty-body]
    """Return inference backends (things that load a model and generate).

    The runtime picks the first backend whose `can_load()` accepts a model.
    """


@hookspec
def register_model_sources(app: App) -> list[ModelSource]:  # type: ignore[empty-body]
    """Return model sources (registries, hubs) that can resolve and pull references.

    The library asks each source, in order, whether it handles a reference.
    """


@hookspec(firstresult=True)
def get_chat_store(app: App) -> ChatStore | None:
    """Return the store chats are kept in; the first non-None answer wins.

    The default SQLite store is `trylast`, so an installed plugin replaces it.
    """


@hookspec(historic=True)
def app_started(app: App) -> None:
    """Called once the app is built and every command is registered.

    Historic: a plugin registered later still receives it at registration.
    """


@hookspec
def app_stopping(app: App) -> None:
    """Called before the app closes: stop threads, close files, unload models."""
