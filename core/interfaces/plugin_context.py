"""What every hook receives: the parts of the app a plugin may use, and nothing else.

A plugin gets no `App`: no services to reach into, no plugin manager. It talks to the
rest of the app through the command table, keeps its options in its own settings
section (declared with `register_settings`), and uses the shared HTTP client, the
app's folders and the memory planner. The app builds the one concrete context
(`core/plugin_context.py`); plugins see only this protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from ..commands.table import CommandTable
from ..models.app_config import AppConfig
from ..models.base import UserOptions
from ..paths import AppPaths
from .http import HttpClient
from .memory import MemoryPlanner

T = TypeVar("T", bound=UserOptions)


class PluginContext(Protocol):
    @property
    def commands(self) -> CommandTable:
        """The command table: the one door to the rest of the app (and to other plugins)."""
        ...

    @property
    def paths(self) -> AppPaths:
        """The app's folders: config_dir, data_dir, cache_dir, logs_dir."""
        ...

    @property
    def app_settings(self) -> AppConfig:
        """The core's settings as they are now (read-only: change them with `config.set`)."""
        ...

    def settings(self, model: type[T]) -> T:
        """This plugin's settings as they are now: the section it declared with `model`."""
        ...

    def update_settings(self, model: type[T], values: Mapping[str, Any]) -> T:
        """Change some of this plugin's settings (fields by name, nested ones dotted); validated
        and saved like `config.set`. Returns the new settings."""
        ...

    def on_settings_changed(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` after any setting changed. Returns an unsubscribe."""
        ...

    @property
    def http(self) -> HttpClient:
        """The app's HTTP client: honours the proxy setting, drops credentials on a redirect
        to another origin."""
        ...

    @property
    def memory(self) -> MemoryPlanner:
        """Free memory, and what a model of a given shape needs to run here."""
        ...

    def notify(self, message: str) -> None:
        """Tell the user something once (shown by the window and the command line)."""
        ...
