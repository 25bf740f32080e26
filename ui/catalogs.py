"""The interface's text in the chosen language: gettext catalogs in
`ui/locale/<lang>/LC_MESSAGES/llamadesk.mo`, compiled from the .po files beside them by
`scripts/i18n_catalogs.py` (which also extracts the msgids, the English text).

No Kivy here: view models translate with `tr` too. `ui/i18n.py` switches the language
and makes the window follow.
"""

from __future__ import annotations

import gettext
from pathlib import Path

from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import CommandErrorInfo
from llamadesk.core.models.phrase import Phrase

DOMAIN = "llamadesk"
LOCALE_DIR = Path(__file__).parent / "locale"
# The interface's languages, each named in itself (how a person looks for their own).
LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "de": "Deutsch", "zh": "中文"}
SOURCE_LANGUAGE = "en"  # the msgids are the English text

_current: list[gettext.NullTranslations] = [gettext.NullTranslations()]


def N_(text: str) -> str:
    """Marks a string for the catalog where it is defined; `tr` translates it where shown."""
    return text


def tr(text: str) -> str:
    """`text` in the current language (as written where the catalog lacks it)."""
    return _current[0].gettext(text) if text else text


def trn(singular: str, plural: str, count: int) -> str:
    """The form of a counted text that `count` takes in the current language (one form in
    Chinese, two in German, three in French and Spanish); format `{count}` into it after."""
    return _current[0].ngettext(singular, plural, count)


def load_catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language`; English, the text as written, needs none."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def use_language(language: str) -> str:
    """`tr` answers in `language` from now on; an unknown one is English. Returns the one used."""
    if language not in LANGUAGES:
        language = SOURCE_LANGUAGE
    _current[0] = load_catalog(language)
    return language


def error_text(error: CommandError | CommandErrorInfo) -> str:
    """A command's error as the window shows it: its template in the current language,
    filled with its details; its English message when it has no template, or when the
    translation names a placeholder the details do not fill (a wrong sentence, or a
    KeyError on screen, would be worse than English)."""
    info = error.info if isinstance(error, CommandError) else error
    try:
        if isinstance(info.details.get("phrase"), dict):  # a message in parts (core/models/phrase.py)
            return phrase_text(Phrase.model_validate(info.details["phrase"]), info.message)
        if not info.template:
            return info.message
        return tr(info.template).format(**info.details)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        return info.message


def phrase_text(phrase: Phrase, english: str) -> str:
    """A sentence in parts with each part in the current language; `english` (the phrase's
    English) when a translation names a value the phrase lacks."""
    try:
        return phrase.render(tr)
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        return english
