"""Which tools a chat may use, as its picker shows them: every tool provider (an MCP server,
a plugin) with its tools, ticked when the chat's `tools` name it or its provider.

A chat's `tools` hold provider names (`time`: every tool it has, now and later) or single
tools (`time_get_current_time`). Ticking a provider replaces its single tools by its name;
unticking one tool of a ticked provider keeps the provider's other tools, one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

from llamadesk.core.models.mcp import McpServerInfo
from llamadesk.core.models.tools import ToolCatalog

from ..catalogs import tr


@dataclass(frozen=True)
class PickerTool:
    name: str  # what the model calls it: <provider>_<tool>
    tool: str  # its own name
    description: str
    chosen: bool  # ticked on its own, or through its provider


@dataclass(frozen=True)
class PickerProvider:
    name: str
    status: str  # "2 tools", "failed: ...", "disabled"
    chosen: bool
    available: bool  # it can be offered now (an MCP server that is switched off cannot)
    tools: tuple[PickerTool, ...]


def picker_providers(
    catalog: ToolCatalog, servers: list[McpServerInfo], chosen: list[str]
) -> list[PickerProvider]:
    """Providers in the catalog's order, then MCP servers it lacks (switched off, or failed
    before listing anything), so the user sees why a server offers nothing."""
    wanted = set(chosen)
    by_server = {s.name: s for s in servers}
    out: list[PickerProvider] = []
    for provider in catalog.providers:
        ticked = provider.name in wanted
        tools = tuple(
            PickerTool(t.name, t.tool, t.description, ticked or t.name in wanted) for t in provider.tools
        )
        server = by_server.get(provider.name)
        if server is not None and server.state == "failed" and not tools:
            status = server.status
        else:
            status = f"{len(tools)} tool" + ("" if len(tools) == 1 else "s")
        out.append(PickerProvider(provider.name, status, ticked, True, tools))
    listed = {p.name for p in out}
    for server in servers:
        if server.name not in listed:
            status = tr("switched off (Tools screen)") if not server.enabled else server.status
            out.append(PickerProvider(server.name, status, server.name in wanted, server.enabled, ()))
    return out


def toggle_provider(chosen: list[str], provider: PickerProvider, on: bool) -> list[str]:
    tool_names = {t.name for t in provider.tools}
    kept = [name for name in chosen if name != provider.name and name not in tool_names]
    return [*kept, provider.name] if on else kept


def toggle_tool(chosen: list[str], provider: PickerProvider, tool: str, on: bool) -> list[str]:
    if provider.name in chosen:
        if on:
            return chosen
        others = [t.name for t in provider.tools if t.name != tool]
        return [*[n for n in chosen if n != provider.name], *others]
    kept = [name for name in chosen if name != tool]
    return [*kept, tool] if on else kept
