"""`llamadesk push REF`: upload a stored model to the registry its reference names."""

from __future__ import annotations

import argparse

from llamadesk.core.commands import CommandTable

from ..invoke import invoke_streaming
from ..output import print_event_line, size_label
from ..progress import progress_printer


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("push", help="upload a model to a registry, e.g. localhost:5000/team/model:tag")
    parser.add_argument("reference")
    parser.add_argument(
        "--json", action="store_true", help="print progress events and the result as JSON lines"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    with progress_printer(args.json, args.reference) as on_event:
        result = invoke_streaming(commands, "models.push", {"reference": args.reference}, on_event=on_event)
    if args.json:
        print_event_line(result)
    else:
        data = result.model_dump()
        print(f"pushed {data['reference']} ({size_label(data['size'])}, {data['digest']})")
    return 0
