"""Settings as data: a plugin's declared section, the schema the Settings screen is built
from, and the params and results of the `config.*` commands.

The core's own settings are `AppConfig` (app_config.py). A plugin declares its own
through the `register_settings` hook as a `SettingsSection`: a `UserOptions` model kept
under the plugin's namespace, addressed as `<namespace>.<field>` by `config.get`,
`config.set` and `llamadesk config`, and shown as a section of the Settings screen.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from .app_config import AppConfig
from .base import CommandParams, Record, UserOptions

NAMESPACE_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"


class SettingsSection(Record):
    """What a plugin's `register_settings` hook returns."""

    namespace: str = Field(
        pattern=NAMESPACE_PATTERN,
        description="Where the settings live: `config set <namespace>.<field> VALUE`. Must not be "
        "taken by a core setting or another plugin.",
    )
    model: type[UserOptions] = Field(
        description="The settings, as a model whose fields all have defaults and descriptions."
    )
    title: str = Field(description="The Settings screen's heading for this section.")
    description: str = Field("", description="One sentence under the heading.")
    moved_keys: dict[str, str] = Field(
        default_factory=dict,
        description="Top-level keys of an older settings file that now belong here: old key -> field. "
        "They are moved into the namespace when the file is read, and saved so.",
    )


class SettingKind(StrEnum):
    BOOL = "bool"
    CHOICE = "choice"
    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    LIST = "list"  # of plain values, typed as comma-separated text
    JSON = "json"  # anything else, typed as JSON


class SettingField(Record):
    """One setting as the Settings screen shows it."""

    key: str = Field(description="Dotted, as config.set takes it: theme, load.context_size, server.port.")
    label: str
    description: str
    kind: SettingKind
    choices: list[str] = Field(default_factory=list, description="The values a `choice` may take.")
    optional: bool = Field(False, description="May be left empty (null).")
    secret: bool = Field(False, description="A key or token: shown masked.")


class SettingsGroup(Record):
    """A section of the Settings screen: the general settings, a nested core model, or a plugin's."""

    id: str = Field(description="`general`, a core section (load, sampling, chat), or a plugin's namespace.")
    title: str
    description: str = ""
    plugin: str | None = Field(None, description="The plugin that declared it; None for the core's.")
    fields: list[SettingField]


class SettingsSchema(Record):
    groups: list[SettingsGroup]


# --- config.* commands ---------------------------------------------------------------


class ConfigGetParams(CommandParams):
    key: str | None = Field(
        None, description="Dotted key like sampling.temperature or server.port; empty returns all."
    )


class ConfigValue(Record):
    key: str | None = None
    value: Any = Field(description="The setting's value, or every setting when no key was given.")


class ConfigSetParams(CommandParams):
    values: dict[str, Any] = Field(description="Settings to change; nested objects or dotted keys.")


class ConfigResult(Record):
    config: AppConfig = Field(description="The core's settings after the change.")
    plugins: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Each plugin's settings by namespace, as JSON."
    )

    def flat(self) -> dict[str, Any]:
        """Every setting as one JSON object, as `config.get` returns it."""
        return {**self.config.model_dump(mode="json"), **self.plugins}


class ConfigPath(Record):
    path: str = Field(description="The settings file.")
    exists: bool
