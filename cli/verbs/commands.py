"""`llamadesk commands`: list every command id with its title."""

from __future__ import annotations

import argparse

from llamadesk.core.commands import CommandTable

from ..output import print_json


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("commands", help="list the commands of the command table")
    parser.add_argument("--json", action="store_true", help="print ids, titles and schemas as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    infos = commands.describe()
    if args.json:
        print_json([info.model_dump() for info in infos])
        return 0
    width = max((len(info.id) for info in infos), default=0)
    for info in infos:
        marker = " (streams)" if info.streaming else ""
        print(f"{info.id.ljust(width)}  {info.title}{marker}")
    return 0
