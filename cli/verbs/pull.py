"""`llamadesk pull REF`: download a model, with a progress bar; Ctrl+C keeps the partial.

`llamadesk pull --discard [REF]` removes the partial downloads of REF (of every model
without REF) instead, to give their disk space back.
"""

from __future__ import annotations

import argparse

from llamadesk.core.commands import CommandTable
from llamadesk.core.models.library import DiscardResult

from ..invoke import invoke_streaming
from ..output import print_event_line, print_json, size_label
from ..progress import progress_printer


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("pull", help="download a model (resumes an interrupted pull)")
    parser.add_argument(
        "reference",
        nargs="?",
        help="e.g. smollm2, ai/smollm2, localhost:5000/team/model:tag, hf.co/user/repo:Q4_K_M",
    )
    parser.add_argument(
        "--json", action="store_true", help="print progress events and the result as JSON lines"
    )
    parser.add_argument(
        "--discard",
        action="store_true",
        help="instead of pulling, remove the partial downloads of REFERENCE (all of them without one)",
    )
    parser.set_defaults(run=run, parser=parser)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    if args.discard:
        return _discard(args, commands)
    if args.reference is None:
        args.parser.error("a model reference is needed (or --discard to remove partial downloads)")
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


def _discard(args: argparse.Namespace, commands: CommandTable) -> int:
    result = commands.invoke("models.discard", {"reference": args.reference})
    assert isinstance(result, DiscardResult)
    if args.json:
        print_json(result)
        return 0
    whose = f" of {result.reference}" if result.reference else ""
    count = len(result.removed)
    if count or not result.in_use:
        plural = "" if count == 1 else "s"
        print(f"removed {count} partial download{plural}{whose} ({size_label(result.freed)} freed)")
    for kept in result.in_use:
        print(f"kept {kept.name}: a running pull or import is using it ({size_label(kept.on_disk)})")
    return 0
