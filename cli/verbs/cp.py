"""`llamadesk cp SOURCE TARGET`: store a model under another reference too (e.g. before a push)."""

from __future__ import annotations

import argparse

from llamadesk.core.commands import CommandTable


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("cp", help="copy a model to another name (blobs are shared)")
    parser.add_argument("source")
    parser.add_argument("target", help="e.g. localhost:5000/team/model:tag")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    summary = commands.invoke("models.copy", {"source": args.source, "target": args.target}).model_dump()
    print(f"copied {args.source} to {summary['reference']}")
    return 0
