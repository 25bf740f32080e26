"""The tools a plugin writes as plain Python (`register_tools`), as one tool provider.

Arguments are checked against the tool's JSON schema before its handler runs, so a
model's wrong arguments come back to it as a clear error instead of a handler's
traceback.
"""

from __future__ import annotations

from typing import Any

import jsonschema

from ..errors import N_, ToolFailed
from ..models.tools import PluginTool, ToolReply, ToolSpec
from ..streaming import CancelToken


class FunctionToolProvider:
    """A plugin's tools; the plugin's name is the provider's (and the tools' prefix)."""

    def __init__(self, plugin: str, tools: list[PluginTool], trusted: bool = False) -> None:
        self._name = plugin
        self._trusted = trusted
        self._tools = {tool.name: tool for tool in tools}

    @property
    def name(self) -> str:
        return self._name

    @property
    def trusted(self) -> bool:
        return self._trusted

    def tools(self) -> list[ToolSpec]:
        return [
            ToolSpec(name=t.name, description=t.description, parameters=t.parameters, read_only=t.read_only)
            for t in self._tools.values()
        ]

    def call(self, tool: str, arguments: dict[str, Any], token: CancelToken, timeout: float) -> ToolReply:
        found = self._tools.get(tool)
        if found is None:
            raise ToolFailed(N_("{name} has no tool {tool!r}"), name=self._name, tool=tool)
        try:
            jsonschema.validate(arguments, found.parameters)
        except jsonschema.ValidationError as exc:
            where = ".".join(str(part) for part in exc.absolute_path) or "arguments"
            raise ToolFailed(N_("{where}: {problem}"), where=where, problem=exc.message) from None
        try:
            return ToolReply(text=found.handler(arguments))
        except Exception as exc:  # the tool's own failure: the model reads it and may try again
            return ToolReply(text=f"{type(exc).__name__}: {exc}", is_error=True)
