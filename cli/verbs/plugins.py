"""`llamadesk plugins`: loaded plugins, their hooks, and any that failed."""

from __future__ import annotations

import argparse

from llamadesk.core.commands import CommandTable

from ..output import print_json


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("plugins", help="list loaded plugins and their hooks")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    result = commands.invoke("plugins.list")
    if args.json:
        print_json(result)
        return 0
    data = result.model_dump()
    for plugin in data["plugins"]:
        print(f"{plugin['name']}  [{plugin['origin']}]")
        print(f"    hooks: {', '.join(plugin['hooks']) or '-'}")
    for failure in data["failures"]:
        print(f"FAILED {failure['name']} while {failure['stage']}: {failure['error']}")
    return 0
