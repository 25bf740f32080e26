"""The settings screen's form, from `config.schema`: sections, typed text, errors by field."""

from __future__ import annotations

import json
from typing import Any

from llamadesk.core.models.settings import SettingField, SettingKind, SettingsGroup, SettingsSchema

from ..catalogs import LANGUAGES, N_, tr

# Settings the screen edits with a control of its own rather than a form row.
OWN_CONTROLS = frozenset({"disabled_plugins"})
# Choices shown by a name rather than their value: each language in itself, the themes in
# the window's language. Other choices (auto, none) are values people also type.
CHOICE_NAMES = {"language": LANGUAGES, "theme": {"dark": N_("dark"), "light": N_("light")}}


def choice_text(field: SettingField, value: str) -> str:
    """How a choice's value shows in its menu."""
    names = CHOICE_NAMES.get(field.key)
    return tr(names[value]) if names and value in names else value


def choice_value(field: SettingField, text: str) -> str:
    """The value of the choice a menu shows as `text`."""
    return next((value for value in field.choices if choice_text(field, value) == text), text)


def form_groups(schema: SettingsSchema) -> list[SettingsGroup]:
    """The schema's groups as the form shows them: fields with their own control left out,
    and a group left with no field dropped."""
    groups = []
    for group in schema.groups:
        fields = [f for f in group.fields if f.key not in OWN_CONTROLS]
        if fields:
            groups.append(group.model_copy(update={"fields": fields}))
    return groups


def group_description(group: SettingsGroup) -> str:
    """The line under a section's title; a plugin's section says which plugin it is from."""
    if group.plugin is None:
        return tr(group.description)
    source = tr("From the plugin {name}.").format(name=group.plugin)
    return f"{tr(group.description)} {source}" if group.description else source


def value_at(config: dict[str, Any], key: str) -> Any:
    """A dotted key's value in `config.get`'s dict (None where the path does not exist)."""
    value: Any = config
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def to_text(field: SettingField, value: Any) -> str:
    """How a value shows in a text field."""
    if value is None:
        return ""
    if field.kind is SettingKind.LIST:
        return ", ".join(str(v) for v in value)
    if field.kind is SettingKind.JSON:
        return json.dumps(value)
    return str(value)


def parse_text(field: SettingField, text: str) -> Any:
    """Typed text back to a value; the command validates it properly, this only splits and
    types. Raises ValueError for JSON that does not parse."""
    text = text.strip()
    if not text and field.optional:
        return None
    if field.kind is SettingKind.LIST:
        return [part.strip() for part in text.split(",") if part.strip()]
    if field.kind is SettingKind.JSON:
        return json.loads(text) if text else None
    if field.kind is SettingKind.INT:
        try:
            return int(text)
        except ValueError:
            return text  # let validation say what is wrong
    if field.kind is SettingKind.FLOAT:
        try:
            return float(text)
        except ValueError:
            return text
    return text


def field_error(details: dict[str, Any], key: str) -> str:
    """The validation message for `key` in a CommandError's details: config.set names each
    field it refused (`fields`, by dotted key); a pydantic error list (`errors`) has `loc`s."""
    fields = details.get("fields")
    if isinstance(fields, dict) and key in fields:
        return str(fields[key])
    parts = key.split(".")
    for error in details.get("errors", []):
        loc = [str(p) for p in error.get("loc", [])]
        if loc[-len(parts) :] == parts or loc[: len(parts)] == parts:
            return str(error.get("msg", tr("invalid value")))
    return ""
