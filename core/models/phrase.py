"""A sentence built from parts, each translatable: what an error or an estimate says when
one template cannot hold it (optional pieces, a list of alternatives).

A Phrase is a template marked with `N_` (core/errors.py) and its values; a value is plain
(a number, a name, sizes already written out) or itself a Phrase. `english()` writes the
sentence the CLI, the API and the logs show; the window renders the same tree with each
template translated (ui/catalogs.py `phrase_text`). Lists are chained with `joined`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from ..errors import N_, LlamadeskError
from .base import Record

E = TypeVar("E", bound=LlamadeskError)


class Phrase(Record):
    template: str
    values: dict[str, Any] = {}

    def english(self) -> str:
        return self.render(lambda template: template)

    def error(self, kind: type[E]) -> E:
        """An error of `kind` saying this: the English message, and the phrase as its `phrase`
        detail for the window (ui/catalogs.py error_text)."""
        return kind(self.english(), phrase=self.model_dump())

    def render(self, translate: Callable[[str], str]) -> str:
        """The sentence with each template passed through `translate`."""
        filled = {name: _render(value, translate) for name, value in self.values.items()}
        return translate(self.template).format(**filled)


def phrase(template: str, **values: Any) -> Phrase:
    return Phrase(template=template, values=values)


def joined(parts: Sequence[Phrase | str], template: str = N_("{first} or {second}")) -> Phrase | str:
    """`parts` chained pairwise by `template` ("A or B or C"); one part as it is."""
    if len(parts) == 1:
        return parts[0]
    return phrase(template, first=parts[0], second=joined(parts[1:], template))


def _render(value: Any, translate: Callable[[str], str]) -> Any:
    if isinstance(value, Phrase):
        return value.render(translate)
    if isinstance(value, Mapping) and "template" in value:  # a Phrase that travelled as JSON
        return Phrase.model_validate(value).render(translate)
    return value
