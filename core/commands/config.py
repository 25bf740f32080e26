"""config.* commands: read and change the user's settings, the core's and every plugin's."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import N_, NotFound
from ..models.commands import Empty
from ..models.settings import (
    ConfigGetParams,
    ConfigPath,
    ConfigResult,
    ConfigSetParams,
    ConfigValue,
    SettingsSchema,
)
from .context import CommandContext
from .spec import CommandSpec

if TYPE_CHECKING:
    from ..services.config import ConfigService


def config_commands(config: ConfigService, schema: Callable[[], SettingsSchema]) -> list[CommandSpec]:
    def get(params: ConfigGetParams, ctx: CommandContext) -> ConfigValue:
        data: Any = config.snapshot().flat()
        if params.key:
            for part in params.key.split("."):
                if not isinstance(data, dict) or part not in data:
                    raise NotFound(N_("no setting {key!r}; see `llamadesk config get`"), key=params.key)
                data = data[part]
        return ConfigValue(key=params.key, value=data)

    def set_(params: ConfigSetParams, ctx: CommandContext) -> ConfigResult:
        return config.update(params.values)

    def reset(params: Empty, ctx: CommandContext) -> ConfigResult:
        return config.reset()

    def path(params: Empty, ctx: CommandContext) -> ConfigPath:
        return ConfigPath(path=str(config.path), exists=config.path.exists())

    def describe(params: Empty, ctx: CommandContext) -> SettingsSchema:
        return schema()

    return [
        CommandSpec(
            id="config.get",
            title="Get settings",
            description="Return all settings, or one by dotted key (plugins' as <namespace>.<field>).",
            params=ConfigGetParams,
            result=ConfigValue,
            handler=get,
        ),
        CommandSpec(
            id="config.set",
            title="Change settings",
            description="Validate and save some settings; the others keep their values.",
            params=ConfigSetParams,
            result=ConfigResult,
            handler=set_,
        ),
        CommandSpec(
            id="config.reset",
            title="Reset settings",
            description="Put every setting back to its default and save.",
            params=Empty,
            result=ConfigResult,
            handler=reset,
        ),
        CommandSpec(
            id="config.path",
            title="Settings file",
            description="Where the settings file lives.",
            params=Empty,
            result=ConfigPath,
            handler=path,
        ),
        CommandSpec(
            id="config.schema",
            title="Settings form",
            description="Every setting grouped as the Settings screen shows it: the core's, then a "
            "section per plugin, with labels, descriptions and how each is typed.",
            params=Empty,
            result=SettingsSchema,
            handler=describe,
        ),
    ]
