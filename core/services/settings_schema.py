"""The Settings screen's form, made from the settings models' fields and descriptions.

One group for the core's plain settings, one per nested core model (load, sampling,
chat), one per plugin section. Every field becomes a row whose kind says how it is
typed; `config.schema` returns it, so the window never reads a settings model itself.
"""

from __future__ import annotations

import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..models.app_config import AppConfig
from ..models.settings import SettingField, SettingKind, SettingsGroup, SettingsSchema, SettingsSection

# Fields whose value is a key or token: the form masks them. A field holding models with
# such fields (a list of servers with keys, headers or an environment) is masked whole.
SECRET_ENDINGS = ("key", "token", "password", "secret")
SECRET_HOLDERS = ("env", "headers")


def settings_schema(sections: list[tuple[str, SettingsSection]]) -> SettingsSchema:
    """The whole form: the core's groups, then each plugin's section, as (plugin, section)."""
    general: list[SettingField] = []
    nested: list[SettingsGroup] = []
    for name, info in AppConfig.model_fields.items():
        model = _nested_model(info.annotation)
        if model is None:
            general.append(_field(name, name, info.annotation, info.description or ""))
        else:
            nested.append(
                SettingsGroup(
                    id=name,
                    title=_label(name),
                    description=info.description or "",
                    fields=fields_of(model, name),
                )
            )
    plugin_groups = [
        SettingsGroup(
            id=section.namespace,
            title=section.title,
            description=section.description,
            plugin=plugin,
            fields=fields_of(section.model, section.namespace),
        )
        for plugin, section in sections
    ]
    core = SettingsGroup(id="general", title="General", fields=general)
    return SettingsSchema(groups=[core, *nested, *plugin_groups])


def fields_of(model: type[BaseModel], prefix: str) -> list[SettingField]:
    """Every field of `model` under `prefix.`; a nested model's fields are flattened."""
    fields: list[SettingField] = []
    for name, info in model.model_fields.items():
        key = f"{prefix}.{name}"
        nested = _nested_model(info.annotation)
        if nested is not None:
            fields.extend(fields_of(nested, key))
        else:
            fields.append(_field(key, name, info.annotation, info.description or "", info.title))
    return fields


def _field(key: str, name: str, annotation: Any, description: str, title: str | None = None) -> SettingField:
    inner, optional = _unwrap_optional(annotation)
    kind, choices = _kind(inner)
    return SettingField(
        key=key,
        label=title or _label(name),  # a field's own title, else made from its name
        description=description,
        kind=kind,
        choices=list(choices),
        optional=optional,
        secret=_is_secret(name) or (kind is SettingKind.JSON and _holds_secrets(inner)),
    )


def _is_secret(name: str) -> bool:
    """api_key, hf_token, password... (a word of the name's end; max_tokens is no secret)."""
    return name.rsplit("_", 1)[-1] in SECRET_ENDINGS


def _holds_secrets(annotation: Any) -> bool:
    """A model somewhere in `annotation` (list[Server], dict[str, Server]) with a secret field."""
    for arg in typing.get_args(annotation) or (annotation,):
        model = _nested_model(arg)
        if model is not None and any(
            _is_secret(field) or field in SECRET_HOLDERS or _holds_secrets(info.annotation)
            for field, info in model.model_fields.items()
        ):
            return True
        if typing.get_args(arg) and _holds_secrets(arg):
            return True
    return False


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    inner, _optional = _unwrap_optional(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


# Words a label writes in capitals: "GPU layers", not "Gpu layers".
ACRONYMS = {
    "api": "API",
    "gpu": "GPU",
    "json": "JSON",
    "url": "URL",
    "http": "HTTP",
    "mcp": "MCP",
    "id": "ID",
}


def _label(name: str) -> str:
    words = name.split("_")
    words[0] = words[0].capitalize()
    return " ".join(ACRONYMS.get(word.lower(), word) for word in words)


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _kind(annotation: Any) -> tuple[SettingKind, tuple[str, ...]]:
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return SettingKind.CHOICE, tuple(str(m.value) for m in annotation)
    if origin is typing.Literal:
        return SettingKind.CHOICE, tuple(str(v) for v in typing.get_args(annotation))
    if annotation is bool:
        return SettingKind.BOOL, ()
    if annotation is int:
        return SettingKind.INT, ()
    if annotation is float:
        return SettingKind.FLOAT, ()
    if annotation in (str, Path):
        return SettingKind.TEXT, ()
    if origin is list and all(a in (str, int, float) for a in typing.get_args(annotation)):
        return SettingKind.LIST, ()
    return SettingKind.JSON, ()
