"""`llamadesk collections add|list|status|index|pause|resume|cancel|rm|problems|search`: folders
indexed for chats to search (the `collections.*` commands).

    llamadesk collections add notes ~/Documents/notes     # indexes it, with progress
    llamadesk collections search "warehouse move" -c notes
    llamadesk run starter --collection notes "Where did the warehouse move?"
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pydantic import BaseModel

from llamadesk.core.commands import CommandTable
from llamadesk.core.models.collections import (
    CollectionInfo,
    CollectionList,
    CollectionProblems,
    CollectionSearchResult,
)
from llamadesk.core.models.commands import ProgressEvent

from ..invoke import invoke_streaming
from ..output import print_json

PROGRESS_EVERY_S = 0.5  # a line at most this often, so a 100,000-file folder does not flood


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("collections", help="folders indexed for chats to search (`run --collection`)")
    parser.add_argument("--json", action="store_true", help="print the command's JSON result")
    actions = parser.add_subparsers(dest="action")
    add_ = actions.add_parser("add", help="name a folder and index it (its files are only read)")
    add_.add_argument("name")
    add_.add_argument("folder")
    add_.add_argument("--no-wait", action="store_true", help="index in the background and return")
    actions.add_parser("list", help="collections with their counts and state")
    for action, text in (
        ("status", "one collection's counts, state and progress"),
        ("pause", "stop indexing and keep it out of automatic runs until resumed"),
        ("resume", "index a paused collection again, from where it stopped"),
        ("cancel", "stop indexing now; what was indexed is kept"),
        ("rm", "delete its index (the folder and its files are not touched)"),
        ("problems", "files left out, and why"),
    ):
        actions.add_parser(action, help=text).add_argument("name")
    index = actions.add_parser("index", help="read what changed since the last run, with progress")
    index.add_argument("name")
    index.add_argument("--full", action="store_true", help="read every file again")
    search = actions.add_parser("search", help="the passages that best match TEXT")
    search.add_argument("text")
    search.add_argument("-c", "--collection", action="append", required=True, help="repeat for more")
    search.add_argument("--limit", type=int, default=6)
    search.add_argument("--mode", choices=["hybrid", "keyword", "vector"], default="hybrid")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    action = args.action or "list"
    result: BaseModel
    if action == "add":
        folder = str(Path(args.folder).expanduser().resolve())
        result = commands.invoke("collections.add", {"name": args.name, "folder": folder})
        if not args.no_wait:
            result = _index(commands, args.name, full=False)
    elif action == "index":
        result = _index(commands, args.name, full=args.full)
    elif action == "list":
        result = commands.invoke("collections.list")
    elif action == "search":
        params = {"text": args.text, "collections": args.collection, "limit": args.limit, "mode": args.mode}
        result = commands.invoke("collections.search", params)
    elif action == "rm":
        commands.invoke("collections.remove", {"name": args.name})
        if not args.json:
            print(f"removed the index of {args.name}; its folder was not touched")
            return 0
        result = commands.invoke("collections.list")
    else:
        result = commands.invoke(f"collections.{action}", {"name": args.name})
    if args.json:
        print_json(result)
    else:
        _print(result)
    return 0


def _index(commands: CommandTable, name: str, *, full: bool) -> BaseModel:
    last = [0.0]

    def on_event(event: BaseModel) -> None:
        now = time.monotonic()
        if isinstance(event, ProgressEvent) and now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            share = f" {event.done / event.total:.0%}" if event.total else ""
            sys.stderr.write(f"{event.message}{share}\n")

    return invoke_streaming(commands, "collections.index", {"name": name, "full": full}, on_event=on_event)


def _print(result: BaseModel) -> None:
    if isinstance(result, CollectionList):
        if not result.collections:
            print("no collections; add one with `llamadesk collections add NAME FOLDER`")
        for info in result.collections:
            _print(info)
        print(f"embedding model: {result.embedding_model or '(none: keywords only)'}")
    elif isinstance(result, CollectionInfo):
        line = f"{result.name}\t{result.state.value}\t{result.files} files, {result.chunks} passages"
        line += f" ({result.embedded} embedded), {result.skipped} left out\t{result.folder}"
        print(line + (f"\n  {result.message}" if result.message else ""))
    elif isinstance(result, CollectionProblems):
        for problem in result.problems:
            print(f"{problem.path}\t{problem.problem}")
        print(f"{result.total} files left out")
    elif isinstance(result, CollectionSearchResult):
        for source in result.sources:
            print(f"{source.citation()}  ({source.collection}, score {source.score:.4f})")
            print("  " + source.text[:300].replace("\n", "\n  "))
