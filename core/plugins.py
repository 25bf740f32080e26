"""Building the plugin manager, and calling hooks so one bad plugin cannot sink the app.

Nothing here runs at import time. `make_plugin_manager()` registers the core's own
command plugins, the default plugins, then third-party entry points (group
`llamadesk`), each in isolation: a plugin that fails to import, does not validate,
or raises inside a hook is recorded in `pm.failures`, unregistered, and the app
goes on without it.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy

from . import hookspecs
from .models.plugins import PluginFailure, PluginInfo

log = logging.getLogger(__name__)

# Always loaded: the core registers its own commands exactly as a plugin would.
CORE_PLUGINS: tuple[str, ...] = (
    "llamadesk.core.commands.config",
    "llamadesk.core.commands.system",
    "llamadesk.core.commands.runtime",
    "llamadesk.core.commands.models",
    "llamadesk.core.commands.chat",
)

# Shipped with the app, registered like third-party plugins, and blockable by name.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "llamadesk.plugins.llama_cpp",
    "llamadesk.plugins.oci",
    "llamadesk.plugins.huggingface",
    "llamadesk.plugins.sqlite",
    "llamadesk.plugins.api_server",
    "llamadesk.plugins.openai_remote",
)

ENTRYPOINT_GROUP = "llamadesk"
ENV_ONLY = "LLAMADESK_PLUGINS"  # comma-separated names: load only these (core always loads)
ENV_TRACE = "LLAMADESK_TRACE_HOOKS"  # set to 1 to log every hook call


class LlamadeskPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers where each plugin came from and what failed."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self.origins: dict[str, str] = {}
        self.trace_calls = os.environ.get(ENV_TRACE, "") not in ("", "0")
        self.started_app: Any = None  # set once app_started was sent; replayed to late plugins

    def add_failure(self, name: str, stage: str, exc: BaseException) -> None:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        log.warning("plugin %s failed while %s: %s", name, stage, text)
        self.failures.append(PluginFailure(name=name, stage=stage, error=text))

    def register_isolated(self, plugin: object, name: str, origin: str) -> bool:
        """Register one plugin; on any validation error, unregister it and record why."""
        try:
            self.register(plugin, name=name)
            self.check_pending()
        except Exception as exc:
            if self.is_registered(plugin):
                self.unregister(plugin)
            self.add_failure(name, "registering", exc)
            return False
        self.origins[name] = origin
        if self.started_app is not None:
            call_each(self, "app_started", app=self.started_app, only=plugin)
        return True


def make_plugin_manager(
    *,
    load_entrypoints: bool = True,
    blocked: Iterable[str] = (),
    defaults: Sequence[str] = DEFAULT_PLUGINS,
    plugin_dirs: Iterable[Path] = (),
) -> LlamadeskPluginManager:
    """Build the manager: core plugins, then `defaults`, then entry points.

    `blocked` names plugins not to load (default plugins by their module's last
    part, entry points by their entry-point name). `plugin_dirs` are folders of
    extra installed packages (e.g. a `plugins` folder beside a bundled app) whose
    entry points are found too.
    """
    pm = LlamadeskPluginManager()
    only = _names_from_env()
    blocked_names = set(blocked)
    for name in blocked_names:
        pm.set_blocked(name)

    for module_path in CORE_PLUGINS:
        _register_module(pm, module_path, name="core." + module_path.rsplit(".", 1)[-1], origin="core")

    for module_path in defaults:
        name = module_path.rsplit(".", 1)[-1]
        if _wanted(name, only, blocked_names):
            _register_module(pm, module_path, name=name, origin="default")

    if load_entrypoints:
        for folder in plugin_dirs:
            if folder.is_dir() and str(folder) not in sys.path:
                sys.path.append(str(folder))
        for ep in entry_points(group=ENTRYPOINT_GROUP):
            if not _wanted(ep.name, only, blocked_names) or pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                pm.add_failure(ep.name, "importing", exc)
                continue
            dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist else ep.value
            pm.register_isolated(plugin, ep.name, origin=f"entry point ({dist})")
    return pm


def _names_from_env() -> set[str] | None:
    value = os.environ.get(ENV_ONLY)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _wanted(name: str, only: set[str] | None, blocked: set[str]) -> bool:
    return name not in blocked and (only is None or name in only)


def _register_module(pm: LlamadeskPluginManager, module_path: str, name: str, origin: str) -> None:
    try:
        module = importlib.import_module(module_path)
    except Exception as exc:
        pm.add_failure(name, "importing", exc)
        return
    pm.register_isolated(module, name, origin=origin)


def call_each(
    pm: LlamadeskPluginManager, hook_name: str, *, only: object | None = None, **kwargs: Any
) -> list[tuple[str, Any]]:
    """Call every implementation of a hook in pluggy's order, one plugin at a time.

    A plugin that raises is recorded, unregistered and skipped; the others still run.
    Returns (plugin name, result) pairs, None results included.
    """
    results: list[tuple[str, Any]] = []
    caller = getattr(pm.hook, hook_name)
    # pluggy calls the last-registered (and tryfirst) implementations first.
    for impl in reversed(caller.get_hookimpls()):
        if only is not None and impl.plugin is not only:
            continue
        name = impl.plugin_name
        if pm.trace_calls:
            log.info("hook %s -> %s", hook_name, name)
        try:
            result = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
        except Exception as exc:
            pm.add_failure(name, f"in hook {hook_name}", exc)
            if pm.is_registered(impl.plugin):
                pm.unregister(impl.plugin)
            continue
        results.append((name, result))
    return results


def list_plugins(pm: LlamadeskPluginManager) -> list[PluginInfo]:
    """Loaded plugins with the hooks each implements, in registration order."""
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # blocked
            continue
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        infos.append(PluginInfo(name=name, origin=pm.origins.get(name, "unknown"), hooks=hooks))
    return infos
