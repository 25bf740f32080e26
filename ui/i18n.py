# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""Switching the window's language while it runs.

kv rules write `_("Send")` with `#:import _ llamadesk.ui.i18n.kv_tr`. Kivy's kv compiler
binds every rule whose text holds `_(` to the attribute `_` of the object named `_`;
`kv_tr` keeps those bindings, so `switch_language("de")` evaluates them again and the
window changes language at once, without a restart. Text made in Python (`catalogs.tr`)
is made again by the screens, which listen with `on_language_switch`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.event import Observable

from .catalogs import SOURCE_LANGUAGE, tr, use_language
from .fonts import use_font_for


class KvTranslator(Observable):
    """`_("text")` in kv: the text in the current language, re-evaluated on a switch."""

    def __init__(self) -> None:
        super().__init__()
        self.language = SOURCE_LANGUAGE
        self._rules: list[tuple[int, Callable[..., None], tuple[Any, ...]]] = []
        self._listeners: list[Callable[[str], None]] = []
        self._next_uid = 1

    def __call__(self, text: str) -> str:
        return tr(text)

    # kv's Builder binds a rule with `fbind("_", callback, args)` and drops it with `unbind_uid`.
    def fbind(self, name: str, func: Callable[..., None], *args: Any, **_kwargs: Any) -> int:
        if name != "_":
            return 0
        uid = self._next_uid
        self._next_uid += 1
        self._rules.append((uid, func, args))
        return uid

    def funbind(self, name: str, func: Callable[..., None], *args: Any, **_kwargs: Any) -> None:
        self._rules = [rule for rule in self._rules if not (rule[1] == func and rule[2] == args)]

    def unbind_uid(self, name: str, uid: int) -> None:
        self._rules = [rule for rule in self._rules if rule[0] != uid]

    def on_switch(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    def switch(self, language: str) -> None:
        self.language = language
        for uid, func, args in list(self._rules):
            try:
                func(*args, None, None)
            except ReferenceError:  # its widget is gone; Kivy never unbinds a dead one
                self.unbind_uid("_", uid)
        for listener in list(self._listeners):
            listener(language)


kv_tr = KvTranslator()


def switch_language(language: str) -> str:
    """The window in `language` from now on: catalog, font, every kv rule, every listener.
    Returns the language used (English for an unknown one)."""
    language = use_language(language)
    use_font_for(language)
    kv_tr.switch(language)
    return language


def on_language_switch(listener: Callable[[str], None]) -> None:
    """`listener(language)` after every switch, for text made in Python."""
    kv_tr.on_switch(listener)
