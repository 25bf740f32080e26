"""ui/ reaches the core only through llamadesk.core.commands and llamadesk.core.models."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).parents[2] / "ui"
ALLOWED_CORE = ("llamadesk.core.commands", "llamadesk.core.models")


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_ui_imports_only_commands_and_models_of_the_core() -> None:
    files = sorted(UI.rglob("*.py"))
    assert len(files) > 10
    bad = []
    for path in files:
        for name in imported_modules(path):
            if not name.startswith("llamadesk"):
                continue
            if name.startswith("llamadesk.ui") or name.startswith(ALLOWED_CORE) or name == "llamadesk.core":
                continue
            bad.append(f"{path.relative_to(UI.parent)} imports {name}")
    assert not bad, "\n".join(bad)


def test_no_relative_import_leaves_the_ui_package() -> None:
    for path in UI.rglob("*.py"):
        depth = len(path.relative_to(UI).parts) - 1
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level <= depth + 1, f"{path} reaches outside ui/ with a relative import"
