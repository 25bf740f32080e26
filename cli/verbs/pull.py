"""`llamadesk pull REF`: download a model, with a progress bar; Ctrl+C keeps the partial."""

from __future__ import annotations

import argparse

from llamadesk.core.commands import CommandTable

from ..invoke import invoke_streaming
from ..output import print_event_line, size_label
from ..progress import progress_printer


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("pull", help="download a model (resumes an interrupted pull)")
    parser.add_argument(
        "reference", help="e.g. smollm2, ai/smollm2, localhost:5000/team/model:tag, hf.co/user/repo:Q4_K_M"
    )
    parser.add_argument(
        "--json", action="store_true", help="print progress events and the result as JSON lines"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    with progress_printer(args.json, args.reference) as on_event:
        result = invoke_streaming(commands, "models.pull", {"reference": args.reference}, on_event=on_event)
    if args.json:
        print_event_line(result)
        return 0
    data = result.model_dump()
    print(
        f"pulled {data['reference']} ({size_label(data['size'])}, "
        f"{size_label(data['downloaded'])} downloaded, {size_label(data['reused'])} already here)"
    )
    return 0
