"""Typed facade over the hooks: the only place the core calls them (keyword arguments only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .plugins import LlamadeskPluginManager, call_each

if TYPE_CHECKING:
    from .app import App
    from .commands import CommandSpec
    from .interfaces.backend import Backend
    from .interfaces.chat_store import ChatStore
    from .interfaces.model_source import ModelSource


def collect_commands(pm: LlamadeskPluginManager, app: App) -> list[tuple[str, CommandSpec]]:
    """(plugin name, spec) for every command every plugin declares."""
    return [
        (name, spec) for name, specs in call_each(pm, "register_commands", app=app) for spec in specs or ()
    ]


def collect_backends(pm: LlamadeskPluginManager, app: App) -> list[Backend]:
    return [b for _name, backends in call_each(pm, "register_backends", app=app) for b in backends or ()]


def collect_model_sources(pm: LlamadeskPluginManager, app: App) -> list[ModelSource]:
    return [s for _name, sources in call_each(pm, "register_model_sources", app=app) for s in sources or ()]


def find_chat_store(pm: LlamadeskPluginManager, app: App) -> ChatStore | None:
    """The first store a plugin offers (firstresult semantics, one plugin at a time)."""
    for _name, store in call_each(pm, "get_chat_store", app=app):
        if store is not None:
            return store  # type: ignore[no-any-return]
    return None


def send_app_started(pm: LlamadeskPluginManager, app: App) -> None:
    pm.started_app = app
    call_each(pm, "app_started", app=app)


def send_app_stopping(pm: LlamadeskPluginManager, app: App) -> None:
    call_each(pm, "app_stopping", app=app)
