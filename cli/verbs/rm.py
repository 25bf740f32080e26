"""`llamadesk rm REF`: remove a model; blobs other models share stay."""

from __future__ import annotations

import argparse

from llamadesk.core.commands import CommandTable

from ..output import size_label


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("rm", help="remove a model from the library")
    parser.add_argument("reference")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    data = commands.invoke("models.rm", {"reference": args.reference}).model_dump()
    print(f"deleted {data['reference']} (freed {size_label(data['freed'])})")
    return 0
