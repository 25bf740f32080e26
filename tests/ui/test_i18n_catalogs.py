"""The catalogs are complete and current: every text the window shows is marked for
gettext, extracted into the template, and translated in every language; the .mo files the
app reads are the .po files compiled. No window here (see test_i18n_window.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from scripts import i18n_catalogs

ROOT = Path(__file__).parents[2]
UI = ROOT / "ui"
# `{name}`, and in errors' templates `{name!r}` or `{timeout:g}`: each must survive translation.
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# Properties and arguments that are text a person reads.
TEXT_NAMES = {"text", "hint_text", "title", "hint", "note", "confirm", "action", "message", "description"}
TEXT_SUFFIXES = ("_note", "_text")
# A literal a person reads has a word in it; "", "…", "=" or a markup tag do not count.
WORD = re.compile(r"[A-Za-z]{2,}")
# Literals that are not language: the app's name, a unit, a command typed for the user, a
# text measured and never shown, a programming error's message.
NOT_LANGUAGE = {"llamadesk", " tok/s", "/tool  ", "abcdefghij klmnopqrst", " answered with , not "}
# And examples of what to type, shown as hints; "code", a code block without a language.
NOT_LANGUAGE |= {
    "time",
    "mcp-server-time --local-timezone Europe/Oslo",
    "GITHUB_TOKEN=ghp_...",
    "https://example.com/mcp",
    "Authorization: Bearer ...",
    "code",
}


@pytest.fixture(scope="module")
def template() -> set[str]:
    return {m.id for m in i18n_catalogs.template() if m.id}


def test_the_committed_template_is_what_the_code_shows(template: set[str]) -> None:
    with i18n_catalogs.POT.open("rb") as source:
        committed = {m.id for m in read_po(source) if m.id}
    assert committed == template, (
        "ui/locale/llamadesk.pot is out of date: run `.venv/bin/python scripts/i18n_catalogs.py`; "
        f"new: {sorted(template - committed)[:5]}, gone: {sorted(committed - template)[:5]}"
    )


@pytest.mark.parametrize("language", i18n_catalogs.LANGUAGES)
def test_every_language_translates_every_text(language: str, template: set[str]) -> None:
    catalog = i18n_catalogs.read_catalog(language)
    ids = {m.id for m in catalog if m.id}
    assert ids == template, (
        f"{language}: missing {sorted(template - ids)[:5]}, stale {sorted(ids - template)[:5]}"
    )
    assert i18n_catalogs.untranslated(catalog) == [], f"{language}: untranslated entries"
    for message in catalog:
        if message.id:
            # A placeholder lost or renamed would raise KeyError in .format() on screen.
            wanted = sorted(PLACEHOLDER.findall(i18n_catalogs.forms(message.id)[0]))
            for form in i18n_catalogs.forms(message.string):
                assert sorted(PLACEHOLDER.findall(form)) == wanted, (language, message.id)


@pytest.mark.parametrize("language", i18n_catalogs.LANGUAGES)
def test_the_committed_mo_is_the_po_compiled(language: str) -> None:
    mo = i18n_catalogs.po_path(language).with_suffix(".mo")
    assert mo.read_bytes() == i18n_catalogs.mo_bytes(i18n_catalogs.read_catalog(language)), (
        f"{mo} is stale: run `.venv/bin/python scripts/i18n_catalogs.py`"
    )


def _kv_shown_literals(expression: str) -> list[str]:
    """The string literals of a kv value that can reach the screen as they are: not inside
    `_(...)`, not compared with (`== "ready"`, `in ("a", "b")`), not a key or markup escape."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_":
            return
        if isinstance(node, ast.Compare):
            return
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "replace")
        ):
            visit(node.func.value)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(expression.strip(), mode="eval"))
    return found


def test_kv_rules_show_no_text_outside_gettext() -> None:
    found = []
    for path in sorted(UI.rglob("*.kv")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            name, sep, value = line.strip().partition(":")
            if not sep or name not in TEXT_NAMES:
                continue
            shown = [
                text
                for text in _kv_shown_literals(value)
                if WORD.search(re.sub(r"\[[^]]*\]", "", text)) and text not in NOT_LANGUAGE
            ]
            if shown:
                found.append(f"{path.relative_to(UI)}:{lineno}: {shown}")
    assert found == [], "text not through _(): " + "; ".join(found)


def _is_text_target(node: ast.expr) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name in TEXT_NAMES or name.endswith(TEXT_SUFFIXES)


def _literal_text(node: ast.expr | None) -> str:
    """A string or f-string with words written into the code (not passed through tr)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and WORD.search(node.value):
        return node.value
    if isinstance(node, ast.JoinedStr):
        text = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
        return text if WORD.search(text) else ""
    if isinstance(node, ast.IfExp):
        return _literal_text(node.body) or _literal_text(node.orelse)
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) or _literal_text(node.right)
    if isinstance(node, ast.BoolOp):
        return next((text for text in map(_literal_text, node.values) if text), "")
    return ""


def test_python_sets_no_text_outside_gettext() -> None:
    found = []
    for path in sorted(UI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            pairs: list[tuple[ast.expr, ast.expr | None]] = []
            if isinstance(node, ast.Assign):
                pairs = [(target, node.value) for target in node.targets]
            elif isinstance(node, ast.Call):
                pairs = [(ast.Name(id=k.arg or ""), k.value) for k in node.keywords]
            for target, value in pairs:
                text = _literal_text(value) if _is_text_target(target) else ""
                if text and text not in NOT_LANGUAGE:
                    found.append(f"{path.relative_to(UI)}:{node.lineno}: {text!r}")
    assert found == [], "text not through tr(): " + "; ".join(found)


def test_counted_texts_take_each_languages_plural_forms() -> None:
    from llamadesk.ui.catalogs import trn, use_language

    def tools(count: int) -> str:
        return trn("{count} tool", "{count} tools", count).format(count=count)

    try:
        assert [tools(n) for n in (0, 1, 2)] == ["0 tools", "1 tool", "2 tools"]
        use_language("fr")  # French counts zero as one
        assert [tools(n) for n in (0, 1, 2)] == ["0 outil", "1 outil", "2 outils"]
        use_language("de")
        assert [tools(n) for n in (0, 1, 2)] == ["0 Werkzeuge", "1 Werkzeug", "2 Werkzeuge"]
        use_language("zh")  # one form
        assert [tools(n) for n in (1, 2)] == ["1 个工具", "2 个工具"]
    finally:
        use_language("en")


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """LlamadeskError and every class below it, in core/errors.py or anywhere else."""
    classes = {"LlamadeskError"}
    bases = {
        node.name: {ast.unparse(base).rpartition(".")[2] for base in node.bases}
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    grown = True
    while grown:
        below = {name for name, of in bases.items() if of & classes} - classes
        classes |= below
        grown = bool(below)
    return classes


def _has_literal_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant | ast.JoinedStr):
        return isinstance(node, ast.JoinedStr) or isinstance(node.value, str)
    if isinstance(node, ast.BinOp):
        return _has_literal_text(node.left) or _has_literal_text(node.right)
    if isinstance(node, ast.IfExp):
        return _has_literal_text(node.body) or _has_literal_text(node.orelse)
    if isinstance(node, ast.BoolOp):
        return any(_has_literal_text(value) for value in node.values)
    return False


def test_errors_are_raised_with_templates_the_window_can_translate() -> None:
    """An error made in core/, plugins/ or lib/ with an f-string or a plain literal would
    reach a Spanish window in English: its message must be `N_("... {name} ...")`, one
    string constant (what the catalog extracts), with every placeholder given by keyword."""
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8"))
        for folder in ("core", "plugins", "lib")
        for path in sorted((ROOT / folder).rglob("*.py"))
    }
    errors = _error_classes(trees)
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if name == "N_" and not (
                len(node.args) == 1
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append(f"{where}: N_ takes one string constant")
            if name not in errors or not node.args:
                continue
            message = node.args[0]
            if _has_literal_text(message):
                found.append(f"{where}: {name}(...) with text instead of N_(...)")
            elif (
                isinstance(message, ast.Call)
                and isinstance(message.func, ast.Name)
                and message.func.id == "N_"
                and message.args
                and isinstance(message.args[0], ast.Constant)
                and all(keyword.arg for keyword in node.keywords)  # no **details to check against
            ):
                given = {keyword.arg for keyword in node.keywords}
                wanted = {
                    re.split(r"[!:.\[]", field)[0]
                    for field in re.findall(r"(?<!\{)\{([^{}]*)\}", message.args[0].value)
                }
                if wanted - given:
                    found.append(f"{where}: {name} does not give {sorted(wanted - given)}")
    assert found == [], "errors the window cannot translate: " + "; ".join(found)
