"""config.* commands: read and change the user's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..errors import NotFound
from ..hookspecs import hookimpl
from ..models.app_config import AppConfig
from ..models.commands import Empty
from .context import CommandContext
from .spec import CommandSpec

if TYPE_CHECKING:
    from ..app import App


class ConfigGetParams(BaseModel):
    key: str | None = Field(None, description="Dotted key like sampling.temperature; empty returns all.")


class ConfigValue(BaseModel):
    key: str | None = None
    value: Any = Field(description="The setting's value, or the whole config when no key was given.")


class ConfigSetParams(BaseModel):
    values: dict[str, Any] = Field(description="Settings to change; nested objects or dotted keys.")


class ConfigResult(BaseModel):
    config: AppConfig


class ConfigPath(BaseModel):
    path: str = Field(description="The settings file.")
    exists: bool


@hookimpl(tryfirst=True)  # the core's ids are registered before any plugin can take them
def register_commands(app: App) -> list[CommandSpec]:
    service = app.config

    def get(params: ConfigGetParams, ctx: CommandContext) -> ConfigValue:
        data: Any = service.config.model_dump(mode="json")
        if params.key:
            for part in params.key.split("."):
                if not isinstance(data, dict) or part not in data:
                    raise NotFound(f"no setting {params.key!r}; see `llamadesk config get`")
                data = data[part]
        return ConfigValue(key=params.key, value=data)

    def set_(params: ConfigSetParams, ctx: CommandContext) -> ConfigResult:
        return ConfigResult(config=service.update(params.values))

    def reset(params: Empty, ctx: CommandContext) -> ConfigResult:
        return ConfigResult(config=service.reset())

    def path(params: Empty, ctx: CommandContext) -> ConfigPath:
        return ConfigPath(path=str(service.path), exists=service.path.exists())

    return [
        CommandSpec(
            id="config.get",
            title="Get settings",
            description="Return all settings, or one by dotted key.",
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
    ]
