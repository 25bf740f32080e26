"""Every hook and every command is documented where plugin authors and users look."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pluggy

from llamadesk.core import hookspecs
from llamadesk.core.app import App
from llamadesk.core.models.settings import SettingsSchema
from scripts.settings_doc import render

DOCS = Path(__file__).parents[1] / "docs"


def hook_signature(function) -> str:
    """`name(arg: Type) -> Return`, exactly as written in hookspecs.py."""
    signature = inspect.signature(function)
    params = ", ".join(f"{name}: {p.annotation}" for name, p in signature.parameters.items())
    return f"{function.__name__}({params}) -> {signature.return_annotation}"


def hookspec_functions():
    marker = hookspecs.PROJECT + "_spec"
    return [f for _, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, marker)]


def test_every_hook_is_documented_under_its_exact_signature() -> None:
    text = (DOCS / "plugins.md").read_text()
    functions = hookspec_functions()
    assert len(functions) >= 6
    for function in functions:
        heading = f"### `{hook_signature(function)}`"
        assert heading in text, f"docs/plugins.md lacks the heading {heading}"
        assert function.__doc__, f"hookspec {function.__name__} has no docstring"


def test_hookspecs_are_pluggy_specs() -> None:
    assert isinstance(hookspecs.hookspec, pluggy.HookspecMarker)


def test_every_command_is_documented(paths) -> None:
    # Every default plugin and the core are loaded, as a user gets them.
    app = App(paths, load_entrypoints=False).start()
    try:
        ids = app.commands.ids()
    finally:
        app.close()
    documented = set()
    for page in (DOCS / "commands").glob("*.md"):
        documented |= set(re.findall(r"^### `([a-z0-9_.]+)`", page.read_text(), flags=re.MULTILINE))
    missing = sorted(set(ids) - documented)
    assert not missing, f"commands without a section in docs/commands/: {missing}"


def test_every_setting_is_documented(app: App) -> None:
    schema = app.commands.invoke("config.schema")
    assert isinstance(schema, SettingsSchema)
    text = (DOCS / "settings.md").read_text()
    missing = [f.key for g in schema.groups for f in g.fields if f"| `{f.key}` |" not in text]
    assert not missing, f"settings missing from docs/settings.md: {missing}"
    assert text == render(), "docs/settings.md is out of date: run `.venv/bin/python scripts/settings_doc.py`"
