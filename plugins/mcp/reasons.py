"""Why a server failed, as data: kept apart from failures.py, which imports the SDK and
httpx2, because every status holds one and the app must start without those imports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, eq=False)
class Reason:
    """Why a server failed, as a template (`N_`, which the Tools screen translates) and the
    values that fill it; `str()` is the English phrase the CLI and errors use."""

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template.format(**self.values)


def failure(template: str, **values: Any) -> Reason:
    return Reason(template, values)
