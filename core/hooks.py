"""Typed facade over the hooks: the only place the core calls them (keyword arguments only).

pluggy calls the implementations (in its order: the most recently registered and
`tryfirst` first, `trylast` last); each answer comes back as an `Answer` naming its
plugin (`core/plugins.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from .plugins import Answer, LlamadeskPluginManager

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

T = TypeVar("T")


def _each(answers: Iterable[Answer[Any]]) -> list[tuple[str, Any]]:
    """(plugin, item) for every item of every plugin's list (or single item)."""
    found: list[tuple[str, Any]] = []
    for answer in answers:
        items = answer.value if isinstance(answer.value, list | tuple) else [answer.value]
        found += [(answer.plugin, item) for item in items]
    return found


def collect_settings(pm: LlamadeskPluginManager) -> list[tuple[str, SettingsSection]]:
    """(plugin name, section) for every plugin that declares settings."""
    return _each(pm.hook.register_settings())


def collect_commands(pm: LlamadeskPluginManager, context: PluginContext) -> list[tuple[str, CommandSpec]]:
    """(plugin name, spec) for every command every plugin declares."""
    return _each(pm.hook.register_commands(context=context))


def collect_backends(pm: LlamadeskPluginManager, context: PluginContext) -> list[Backend]:
    return [backend for _plugin, backend in _each(pm.hook.register_backends(context=context))]


def collect_model_sources(pm: LlamadeskPluginManager, context: PluginContext) -> list[ModelSource]:
    return [source for _plugin, source in _each(pm.hook.register_model_sources(context=context))]


def discover_local_models(pm: LlamadeskPluginManager, context: PluginContext) -> list[DiscoveredModel]:
    return [model for _plugin, model in _each(pm.hook.discover_local_models(context=context))]


def collect_plugin_tools(
    pm: LlamadeskPluginManager, context: PluginContext
) -> list[tuple[str, list[PluginTool]]]:
    """(plugin name, its tools) for every plugin that offers plain-Python tools."""
    found: dict[str, list[PluginTool]] = {}
    for plugin, tool in _each(pm.hook.register_tools(context=context)):
        found.setdefault(plugin, []).append(tool)
    return list(found.items())


def collect_tool_providers(pm: LlamadeskPluginManager, context: PluginContext) -> list[ToolProvider]:
    return [provider for _plugin, provider in _each(pm.hook.register_tool_providers(context=context))]


def find_chat_store(pm: LlamadeskPluginManager, context: PluginContext) -> ChatStore | None:
    """The first store a plugin offers; later plugins are not asked (firstresult)."""
    answer: Answer[ChatStore] | None = pm.hook.get_chat_store(context=context)
    return answer.value if answer is not None else None


def find_document_index(pm: LlamadeskPluginManager, context: PluginContext) -> DocumentIndex | None:
    """The first document index a plugin offers (firstresult)."""
    answer: Answer[DocumentIndex] | None = pm.hook.get_document_index(context=context)
    return answer.value if answer is not None else None


def read_document(
    pm: LlamadeskPluginManager, context: PluginContext, path: Path, max_bytes: int
) -> DocumentText | None:
    """The first reader's text of `path`; None when no reader takes its format (firstresult)."""
    answer: Answer[DocumentText] | None = pm.hook.read_document(
        context=context, path=path, max_bytes=max_bytes
    )
    return answer.value if answer is not None else None


def send_app_started(pm: LlamadeskPluginManager, context: PluginContext) -> None:
    """Historic: pluggy replays it to every plugin registered from now on."""
    pm.hook.app_started.call_historic(kwargs={"context": context})


def send_app_stopping(pm: LlamadeskPluginManager, context: PluginContext) -> None:
    pm.hook.app_stopping(context=context)
