"""Which tools an answer may call, named for the model: `<provider>_<tool>`, never twice.

Models see one flat list of function names, so each provider's tools get its name as a
prefix (`time_get_current_time`). Names are cut to OpenAI's rule (letters, digits,
`_ . -`, at most 64); two tools that would share a name get `_2`, `_3` after the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..interfaces.tool_provider import ToolProvider
from ..models.tools import ToolDefinition, ToolSpec

NAME_LIMIT = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9_-]*)")


@dataclass(frozen=True)
class OfferedTool:
    """A tool as one answer offers it: the name the model calls it by, and who runs it."""

    name: str
    provider: ToolProvider
    spec: ToolSpec

    def definition(self) -> ToolDefinition:
        return ToolDefinition(
            name=self.name, description=self.spec.description, parameters=self.spec.parameters
        )


def catalog(providers: Iterable[ToolProvider]) -> list[OfferedTool]:
    """Every tool of every provider, uniquely named, in the providers' order."""
    taken: set[str] = set()
    offered: list[OfferedTool] = []
    for provider in providers:
        for spec in provider.tools():
            name = _unique(_safe(f"{provider.name}_{spec.name}"), taken)
            taken.add(name)
            offered.append(OfferedTool(name=name, provider=provider, spec=spec))
    return offered


def select(tools: list[OfferedTool], wanted: Iterable[str]) -> list[OfferedTool]:
    """The tools `wanted` names: a provider's name takes all its tools, a tool's name itself."""
    names = set(wanted)
    return [t for t in tools if t.provider.name in names or t.name in names]


def mentioned(text: str) -> list[str]:
    """The `@name`s in a message (an address like a@b.c is not one)."""
    return MENTION.findall(text)


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name)[:NAME_LIMIT] or "tool"


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    for n in range(2, 10_000):
        suffix = f"_{n}"
        candidate = name[: NAME_LIMIT - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise ValueError(f"too many tools named {name!r}")
