"""Building the plugin manager, and calling hooks so one bad plugin cannot sink the app.

Nothing here runs at import time. `make_plugin_manager()` registers the default
plugins, then third-party entry points (group `llamadesk`), each in isolation: a
plugin that fails to import or does not validate is recorded in `pm.failures` and
left out; the app goes on without it.

Hooks are called by pluggy itself, so `firstresult` stops at the first answer and
`historic` replays a lifecycle call to a plugin registered later. What pluggy does
not do is keep one plugin's exception from aborting the call for all the others, so
what is registered for a plugin is a `GuardedPlugin` holding its implementations,
each wrapped (`_guard`): a plugin that raises inside a hook is disabled and reported
while the call goes on without it. The wrapper also names the plugin behind each answer (`Answer`), so a failure found in
an answer (a duplicate command id) is reported against the right plugin.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Generic, TypeVar

import pluggy

from . import hookspecs
from .models.plugins import PluginFailure, PluginInfo

log = logging.getLogger(__name__)

# Shipped with the app, registered like third-party plugins, and blockable by name.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "llamadesk.plugins.llama_cpp",
    "llamadesk.plugins.oci",
    "llamadesk.plugins.huggingface",
    "llamadesk.plugins.lmstudio",
    "llamadesk.plugins.sqlite",
    "llamadesk.plugins.api_server",
    "llamadesk.plugins.openai_remote",
    "llamadesk.plugins.mcp",
    "llamadesk.plugins.documents",
)

ENTRYPOINT_GROUP = "llamadesk"
ENV_ONLY = "LLAMADESK_PLUGINS"  # comma-separated names: load only these
ENV_TRACE = "LLAMADESK_TRACE_HOOKS"  # set to 1 to log every hook call (pluggy's tracing)

T = TypeVar("T")


@dataclass(frozen=True)
class Answer(Generic[T]):
    """One plugin's answer to a hook call."""

    plugin: str
    value: T


class LlamadeskPluginManager(pluggy.PluginManager):
    """A pluggy manager that isolates plugins, remembers where each came from and what failed."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self.origins: dict[str, str] = {}
        self._registering: str | None = None  # the plugin pluggy is registering now
        self._failed_registering = False
        if os.environ.get(ENV_TRACE, "") not in ("", "0"):
            self.trace.root.setwriter(lambda message: log.info("%s", message.rstrip()))
            self.enable_tracing()

    def add_failure(self, name: str, stage: str, exc: BaseException) -> None:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        log.warning("plugin %s failed while %s: %s", name, stage, text)
        self.failures.append(PluginFailure(name=name, stage=stage, error=text))

    def disable(self, name: str, stage: str, exc: BaseException) -> None:
        """Record why `name` failed and unregister it: no hook reaches it again."""
        self.add_failure(name, stage, exc)
        if name == self._registering:
            self._failed_registering = True  # pluggy is still adding it: left out once it is done
        elif self.has_plugin(name):
            self.unregister(name=name)

    def register_isolated(self, plugin: object, name: str, origin: str) -> bool:
        """Register one plugin, its hook implementations guarded; on any validation error
        leave it out and record why.

        A historic hook that has been called already (`app_started`) is replayed to the
        plugin here, by pluggy, through the guard: if it raises, the plugin is left out."""
        self._registering, self._failed_registering = name, False
        try:
            self.register(self._guarded(plugin, name), name=name)
            self.check_pending()
        except Exception as exc:
            if self.has_plugin(name):
                self.unregister(name=name)
            self.add_failure(name, "registering", exc)
            return False
        finally:
            self._registering = None
        if self._failed_registering:
            self.unregister(name=name)
            return False
        self.origins[name] = origin
        return True

    def _guarded(self, plugin: object, name: str) -> GuardedPlugin:
        """What is registered for `plugin`: each of its hook implementations, guarded."""
        guarded = GuardedPlugin(plugin)
        for attr in dir(plugin):
            opts = self.parse_hookimpl_opts(plugin, attr)
            if opts is None:
                continue
            if opts.get("hookwrapper") or opts.get("wrapper"):
                # A wrapper runs around every other plugin's implementation: its failure
                # could not be kept to itself.
                raise ValueError(f"{attr}: hook wrappers are not supported; implement the hook itself")
            hook = opts.get("specname") or attr
            setattr(guarded, attr, self._guard(name, hook, getattr(plugin, attr), opts))
        return guarded

    def _guard(
        self, name: str, hook: str, function: Callable[..., Any], opts: Mapping[str, Any]
    ) -> Callable[..., Any]:
        # functools.wraps keeps the signature pluggy reads the hook's arguments from.
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Answer[Any] | None:
            try:
                value = function(*args, **kwargs)
            except Exception as exc:
                self.disable(name, f"in hook {hook}", exc)
                return None  # pluggy then asks the next plugin, as for a plugin with no answer
            return None if value is None else Answer(name, value)

        setattr(guarded, f"{hookspecs.PROJECT}_impl", dict(opts))
        return guarded


class GuardedPlugin:
    """Stands in the plugin manager for a plugin: holds its guarded hook implementations."""

    def __init__(self, plugin: object) -> None:
        self.plugin = plugin

    def __repr__(self) -> str:
        return f"<guarded {self.plugin!r}>"


def make_plugin_manager(
    *,
    load_entrypoints: bool = True,
    blocked: Iterable[str] = (),
    defaults: Sequence[str] = DEFAULT_PLUGINS,
    plugin_dirs: Iterable[Path] = (),
) -> LlamadeskPluginManager:
    """Build the manager: `defaults`, then entry points.

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


def list_plugins(pm: LlamadeskPluginManager) -> list[PluginInfo]:
    """Loaded plugins with the hooks each implements, in registration order."""
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # blocked
            continue
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        infos.append(PluginInfo(name=name, origin=pm.origins.get(name, "unknown"), hooks=hooks))
    return infos
