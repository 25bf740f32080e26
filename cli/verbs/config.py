"""`llamadesk config [get KEY | set KEY VALUE | reset | path]`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from llamadesk.core.commands import CommandTable

from ..output import print_json


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("config", help="show or change settings")
    actions = parser.add_subparsers(dest="action")
    get = actions.add_parser("get", help="print all settings, or one by dotted key")
    get.add_argument("key", nargs="?")
    set_ = actions.add_parser("set", help="change one setting, e.g. `config set theme light`")
    set_.add_argument("key")
    set_.add_argument("value", help="a JSON value, or plain text for a string")
    actions.add_parser("reset", help="put every setting back to its default")
    actions.add_parser("path", help="print where the settings file is")
    parser.set_defaults(run=run)


def parse_value(text: str) -> Any:
    """`8`, `true`, `null`, `[1,2]` are JSON; anything else is taken as a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    action = args.action or "get"
    if action == "get":
        result = commands.invoke("config.get", {"key": getattr(args, "key", None)})
        print_json(result.model_dump()["value"])
    elif action == "set":
        commands.invoke("config.set", {"values": {args.key: parse_value(args.value)}})
        value = commands.invoke("config.get", {"key": args.key}).model_dump()["value"]
        print(f"{args.key} = {json.dumps(value)}")
    elif action == "reset":
        commands.invoke("config.reset")
        print("settings reset to defaults")
    else:
        print(commands.invoke("config.path").model_dump()["path"])
    return 0
