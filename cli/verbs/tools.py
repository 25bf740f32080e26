"""`llamadesk tools`: the tools answers may call, from MCP servers and plugins."""

from __future__ import annotations

import argparse

from llamadesk.core.commands import CommandTable
from llamadesk.core.models.tools import ToolCatalog

from ..output import print_json


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("tools", help="list the tools models may call (MCP servers, plugins)")
    parser.add_argument("--json", action="store_true", help="print the command's JSON result")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    result = commands.invoke("tools.list")
    assert isinstance(result, ToolCatalog)
    if args.json:
        print_json(result)
        return 0
    if not result.providers:
        print("no tools: add an MCP server with `llamadesk mcp add`, or install a plugin that has tools")
    for provider in result.providers:
        trusted = "  (trusted: read-only tools run without asking)" if provider.trusted else ""
        print(f"{provider.name}{trusted}")
        for tool in provider.tools:
            marks = [
                m for m, on in (("read-only", tool.read_only), ("always allowed", tool.always_allowed)) if on
            ]
            note = f"  [{', '.join(marks)}]" if marks else ""
            print(
                f"  {tool.name}{note}  {tool.description.splitlines()[0] if tool.description else ''}".rstrip()
            )
    return 0
