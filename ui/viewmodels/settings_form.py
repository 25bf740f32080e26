"""The settings screen's fields, generated from AppConfig's pydantic fields and descriptions."""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from llamadesk.core.models.app_config import AppConfig


@dataclass(frozen=True)
class SettingField:
    key: str  # dotted, as config.set takes it
    label: str
    description: str
    kind: str  # "bool", "choice", "text", "int", "float", "list", "json", "section"
    choices: tuple[str, ...] = ()
    optional: bool = False


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _kind(annotation: Any) -> tuple[str, tuple[str, ...]]:
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "choice", tuple(str(m.value) for m in annotation)
    if annotation is bool:
        return "bool", ()
    if annotation is int:
        return "int", ()
    if annotation is float:
        return "float", ()
    if annotation in (str, Path):
        return "text", ()
    if origin is list:
        return "list", ()
    return "json", ()


def setting_fields(model: type[BaseModel] = AppConfig, prefix: str = "") -> list[SettingField]:
    fields: list[SettingField] = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation, optional = _unwrap_optional(info.annotation)
        description = info.description or ""
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields.append(SettingField(key, _label(name), description, "section"))
            fields.extend(setting_fields(annotation, prefix=f"{key}."))
            continue
        kind, choices = _kind(annotation)
        fields.append(SettingField(key, _label(name), description, kind, choices, optional))
    return fields


def value_at(config: dict[str, Any], key: str) -> Any:
    value: Any = config
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def to_text(field: SettingField, value: Any) -> str:
    """How a value shows in a text field."""
    if value is None:
        return ""
    if field.kind == "list":
        return ", ".join(str(v) for v in value)
    if field.kind == "json":
        return json.dumps(value)
    return str(value)


def parse_text(field: SettingField, text: str) -> Any:
    """A typed text back to a value; the command validates it properly, this only splits and types."""
    text = text.strip()
    if not text and field.optional:
        return None
    if field.kind == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    if field.kind == "json":
        return json.loads(text) if text else None
    if field.kind == "int":
        try:
            return int(text)
        except ValueError:
            return text  # let validation say what is wrong
    if field.kind == "float":
        try:
            return float(text)
        except ValueError:
            return text
    return text


def field_errors(details: dict[str, Any], key: str) -> str:
    """The validation message for `key` from a CommandError's details, if any."""
    parts = key.split(".")
    for error in details.get("errors", []):
        loc = [str(p) for p in error.get("loc", [])]
        if loc[-len(parts) :] == parts or loc[: len(parts)] == parts:
            return str(error.get("msg", "invalid value"))
    return ""
