"""The one concrete plugin context (`interfaces/plugin_context.py` says what it offers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .commands.table import CommandTable
from .http_client import HttpClient
from .interfaces.memory import MemoryPlanner
from .models.app_config import AppConfig
from .models.base import UserOptions
from .paths import AppPaths
from .services.config import ConfigService

T = TypeVar("T", bound=UserOptions)


class AppPluginContext:
    def __init__(
        self,
        *,
        commands: CommandTable,
        paths: AppPaths,
        config: ConfigService,
        memory: MemoryPlanner,
        notices: list[str],
    ) -> None:
        self._commands = commands
        self._paths = paths
        self._config = config
        self._memory = memory
        self._notices = notices

    @property
    def commands(self) -> CommandTable:
        return self._commands

    @property
    def paths(self) -> AppPaths:
        return self._paths

    @property
    def app_settings(self) -> AppConfig:
        return self._config.config

    def settings(self, model: type[T]) -> T:
        return self._config.section(model)

    def update_settings(self, model: type[T], values: Mapping[str, Any]) -> T:
        namespace = self._config.namespace_of(model)
        self._config.update({f"{namespace}.{key}": value for key, value in values.items()})
        return self._config.section(model)

    def on_settings_changed(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self._config.subscribe(lambda _config: listener())

    @property
    def http(self) -> HttpClient:
        # Made per use, so a change of the proxy setting applies to the next request.
        return HttpClient(proxy=self._config.config.http_proxy)

    @property
    def memory(self) -> MemoryPlanner:
        return self._memory

    def notify(self, message: str) -> None:
        self._notices.append(message)
