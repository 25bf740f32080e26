"""Extract the window's text into ui/locale/llamadesk.pot, bring every language's .po up
to date with it, and compile the .mo files the app reads (they are committed: the app,
CI and the bundle read the same files, and none of them needs Babel). Run it after
changing any text the window shows, then translate what it reports as missing:

    .venv/bin/python scripts/i18n_catalogs.py

The msgids come from three places:
- Python under ui/: `tr("...")` where text is shown, `N_("...")` where it is defined,
  `trn("...", "...", count)` for a counted text (a plural entry: one form per plural the
  language has, three in French and Spanish, one in Chinese);
- kv rules under ui/: `_("...")`;
- the Settings form: `config.schema` of the core and the default plugins (section titles
  and descriptions, each setting's label and description), as the window shows them;
- error messages: `N_("...")` templates under core/, plugins/ and lib/ (core.errors.N_),
  which the window translates and fills with the error's details (ui.catalogs.error_text).

tests/ui/test_i18n_catalogs.py fails when a catalog is out of date or incomplete.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from llamadesk.core.app import App
from llamadesk.core.models.settings import SettingsSchema
from llamadesk.core.paths import AppPaths

ROOT = Path(__file__).parents[1]
UI = ROOT / "ui"
LOCALE = UI / "locale"
ERROR_SOURCES = (ROOT / "core", ROOT / "plugins", ROOT / "lib")  # where errors' templates are
POT = LOCALE / "llamadesk.pot"
LANGUAGES = ("es", "fr", "de", "zh")  # English is the msgids themselves
# `_("...")` in a kv rule: kv values are Python expressions, but kv files are not Python.
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
HEADER = "# The text of llamadesk's window. Kept up to date by scripts/i18n_catalogs.py."
PLACEHOLDERS = re.compile(r"\{[^{}]*\}")
WORDS = re.compile(r"[A-Za-z]{2,}")
KV_CALL = re.compile(r"""(?<![\w.])_\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\)""")


Message = str | tuple[str, str]  # a text, or a counted text's singular and plural


def python_messages() -> Iterator[tuple[Message, str]]:
    for path in sorted(UI.rglob("*.py")):
        with path.open("rb") as source:
            for lineno, func, message, _comments in extract_python(
                source, ["tr", "N_", "trn"], [], {"encoding": "utf-8"}
            ):
                where = f"{path.relative_to(ROOT)}:{lineno}"
                if func == "trn" and isinstance(message, tuple) and all(message[:2]):
                    yield (message[0], message[1]), where
                elif isinstance(message, str) and message:
                    yield message, where


def error_messages() -> Iterator[tuple[Message, str]]:
    for folder in ERROR_SOURCES:
        for path in sorted(folder.rglob("*.py")):
            with path.open("rb") as source:
                for lineno, _func, message, _comments in extract_python(
                    source, ["N_"], [], {"encoding": "utf-8"}
                ):
                    # "{where}: {problem}" has nothing to translate
                    if isinstance(message, str) and WORDS.search(PLACEHOLDERS.sub("", message)):
                        yield message, f"{path.relative_to(ROOT)}:{lineno}"


def kv_messages() -> Iterator[tuple[Message, str]]:
    for path in sorted(UI.rglob("*.kv")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for literal in KV_CALL.findall(line):
                yield ast.literal_eval(literal), f"{path.relative_to(ROOT)}:{lineno}"


def settings_messages() -> Iterator[tuple[Message, str]]:
    with tempfile.TemporaryDirectory() as home:
        app = App(AppPaths.under(Path(home)), load_entrypoints=False).start()
        try:
            schema = app.commands.invoke("config.schema")
        finally:
            app.close()
    assert isinstance(schema, SettingsSchema)
    for group in schema.groups:
        where = f"config.schema:{group.id}"
        yield from ((text, where) for text in (group.title, group.description) if text)
        for field in group.fields:
            yield from (
                (text, f"config.schema:{field.key}") for text in (field.label, field.description) if text
            )


def template() -> Catalog:
    """Every msgid the window shows, with where it comes from."""
    pot = Catalog(
        header_comment=HEADER, project="llamadesk", domain="llamadesk", fuzzy=False, creation_date=FIXED_DATE
    )
    for source in (python_messages(), kv_messages(), settings_messages(), error_messages()):
        for message, where in source:
            path, _, line = where.rpartition(":")
            pot.add(message, locations=[(path, int(line) if line.isdigit() else None)])
    return pot


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "llamadesk.po"


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def read_catalog(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(
            locale=language,
            header_comment=HEADER,
            project="llamadesk",
            domain="llamadesk",
            fuzzy=False,
            creation_date=FIXED_DATE,
        )
    with path.open("rb") as source:
        return read_po(source, locale=language)


def untranslated(catalog: Catalog) -> list[Message]:
    """Entries with no translation, or a plural entry missing one of the language's forms."""
    return [m.id for m in catalog if m.id and (not all(forms(m.string)) or m.fuzzy)]


def forms(string: Message) -> tuple[str, ...]:
    return string if isinstance(string, tuple) else (string,)


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    # No line numbers and fixed dates (FIXED_DATE): the files change only when their text does.
    catalog.revision_date = FIXED_DATE
    write_po(out, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
    path.write_bytes(out.getvalue())


def main() -> int:
    pot = template()
    write(pot, POT)
    missing = 0
    for language in LANGUAGES:
        catalog = read_catalog(language)
        catalog.update(pot, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write(catalog, po_path(language))
        catalog = read_catalog(language)  # as written: the .mo must be the committed .po compiled
        po_path(language).with_suffix(".mo").write_bytes(mo_bytes(catalog))
        gaps = untranslated(catalog)
        missing += len(gaps)
        print(f"{language}: {len(catalog) - len(gaps)} of {len(catalog)} translated")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
