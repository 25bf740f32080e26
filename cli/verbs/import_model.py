"""`llamadesk import PATH [--name REF] [--in-place]`: add a local GGUF to the library."""

from __future__ import annotations

import argparse
from pathlib import Path

from llamadesk.core.commands import CommandTable

from ..invoke import invoke_streaming
from ..output import print_event_line, size_label
from ..progress import progress_printer


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("import", help="add a local GGUF file (copied, or used in place)")
    parser.add_argument("path", help="a .gguf file; for a split model, its first shard")
    parser.add_argument("--name", help="reference to import it as (default: from the file name)")
    parser.add_argument("--in-place", action="store_true", help="use the file where it is, without copying")
    parser.add_argument(
        "--json", action="store_true", help="print progress events and the result as JSON lines"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    params = {
        "path": str(Path(args.path).expanduser().resolve()),
        "name": args.name,
        "in_place": args.in_place,
    }
    with progress_printer(args.json, Path(args.path).name) as on_event:
        result = invoke_streaming(commands, "models.import", params, on_event=on_event)
    if args.json:
        print_event_line(result)
        return 0
    data = result.model_dump()
    how = "in place" if data["in_place"] else "copied into the library"
    print(f"imported {data['reference']} ({size_label(data['size'])}, {how})")
    return 0
