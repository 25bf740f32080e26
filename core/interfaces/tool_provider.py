"""What a tool provider gives the app: a set of tools that may change, and a way to call them.

An MCP server is one provider (plugins/mcp), the plain-Python tools of a plugin another
(the `register_tools` hook). The tool service (core/services/tools.py) names every tool
`<provider>_<tool>` for the model, asks the user before a call, runs it with a timeout,
and hands the reply back to the chat.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..models.tools import ToolReply, ToolSpec
from ..streaming import CancelToken


class ToolProvider(Protocol):
    @property
    def name(self) -> str:
        """Short, unique among providers (letters, digits, - and _): shown to users, the
        prefix of its tools' names, and what `@name` in a message means."""
        ...

    @property
    def trusted(self) -> bool:
        """Its read-only tools may run without asking (the user marked it trusted)."""
        ...

    def tools(self) -> list[ToolSpec]:
        """The tools it offers now. Quick: called for every answer that offers tools, so
        answer from what was listed before; [] while it cannot be reached."""
        ...

    def call(self, tool: str, arguments: dict[str, Any], token: CancelToken, timeout: float) -> ToolReply:
        """Run `tool` (its own name) with `arguments`; return within `timeout` seconds, and as
        soon as `token` is cancelled. Raise ToolFailed (core/errors.py) with a sentence when
        it cannot run (the provider crashed, is unreachable, the tool is unknown), ToolTimeout
        when the time ran out; a tool that ran and failed returns `is_error`."""
        ...
