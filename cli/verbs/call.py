"""`llamadesk call ID --json '{...}'`: invoke any command; events stream as JSON lines."""

from __future__ import annotations

import argparse
import json

from llamadesk.core.commands import CommandTable

from ..invoke import invoke_streaming
from ..output import print_event_line, print_json


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("call", help="invoke a command by id and print its JSON result")
    parser.add_argument("id", help="command id, e.g. config.get (see `llamadesk commands`)")
    parser.add_argument("--json", dest="params", default="{}", help="params as a JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    try:
        params = json.loads(args.params)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"error: --json is not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(params, dict):
        raise SystemExit('error: --json must be a JSON object, like \'{"key": "theme"}\'')
    result = invoke_streaming(commands, args.id, params, on_event=print_event_line)
    print_json(result)
    return 0
