"""`llamadesk list`: the models in the library (and, with --importable, GGUFs found elsewhere)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from llamadesk.core.commands import CommandTable
from llamadesk.core.models.library import ListParams, ModelList, PartialList

from ..output import print_json, size_label


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("list", aliases=["ls"], help="list the models in the library")
    parser.add_argument("--json", action="store_true", help="print the full listing as JSON")
    parser.add_argument(
        "--importable", action="store_true", help="also list GGUFs in the Hugging Face cache and LM Studio"
    )
    parser.add_argument(
        "--partials",
        action="store_true",
        help="list unfinished downloads instead, with the disk space each holds",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    if args.partials:
        return _partials(args, commands)
    result = commands.invoke("models.list", ListParams(discover=args.importable or args.json))
    assert isinstance(result, ModelList)
    if args.json:
        print_json(result)
        return 0
    rows = [
        (
            m.reference,
            (m.digest.split(":")[-1][:12] if m.digest else "in place"),
            size_label(m.size),
            _ago(m.modified),
        )
        for m in result.models
    ]
    # Models a backend serves without a file here: a remote server's, or a backend plugin's.
    rows += [(m.id, f"({m.backend})", "-", m.where) for m in result.remote]
    _table(("NAME", "ID", "SIZE", "MODIFIED"), rows)
    for model in result.models:
        if model.problem:
            print(f"warning: {model.reference}: {model.problem}")
    if args.importable and result.importable:
        print("\nImportable (llamadesk import PATH [--in-place]):")
        for found in result.importable:
            mark = " (imported)" if found.imported else ""
            print(f"  {found.path}  {size_label(found.size)}  [{found.source}]{mark}")
    if result.ollama_store:
        print(
            f"\nAn Ollama store is at {result.ollama_store}; use it with: "
            f"llamadesk config set models_dir {result.ollama_store}"
        )
    return 0


def _partials(args: argparse.Namespace, commands: CommandTable) -> int:
    result = commands.invoke("models.partials")
    assert isinstance(result, PartialList)
    if args.json:
        print_json(result)
        return 0
    if not result.partials:
        print(f"no partial downloads in {result.models_dir}")
        return 0
    rows = [
        (
            ", ".join(p.references) or (f"({p.kind})" if p.kind != "download" else "(unknown)"),
            p.digest.split(":")[-1][:12] if p.digest else p.name,
            size_label(p.on_disk),
            f"{size_label(p.done)} of {size_label(p.size)}" if p.size is not None else size_label(p.done),
            "pulling now" if p.in_use else _ago(p.modified),
        )
        for p in result.partials
    ]
    _table(("MODEL", "ID", "ON DISK", "DOWNLOADED", "MODIFIED"), rows)
    print(
        f"\n{size_label(result.total_bytes)} in partial downloads, {size_label(result.free_bytes)} free in "
        f"{result.models_dir}. `llamadesk pull REF` resumes one; `llamadesk pull --discard [REF]` removes them."
    )
    return 0


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _ago(timestamp: float) -> str:
    seconds = max(0.0, time.time() - timestamp)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"
