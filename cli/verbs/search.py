"""`llamadesk search QUERY`: GGUF models on Hugging Face; `--files user/repo` lists a repo's quants."""

from __future__ import annotations

import argparse
from typing import Any

from llamadesk.core.commands import CommandTable

from ..invoke import invoke_streaming
from ..output import print_json

_FIT_MARKS = {"fits": "fits", "tight": "tight", "too_big": "too big", "unknown": "?"}


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "search",
        help="search Hugging Face for GGUF models, or list a repo's files",
        description="Search Hugging Face for GGUF models. With --files, list one repo's quants "
        "with their size, whether each fits this machine, and the one to pull.",
    )
    parser.add_argument("query", nargs="?", default="", help="text in the repo id, e.g. 'qwen 7b'")
    parser.add_argument("--sort", choices=["downloads", "likes", "last_modified"], default="downloads")
    parser.add_argument("--author", help="only repos of this user or organisation")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--files", metavar="REPO", help="list the GGUF files of user/repo instead")
    parser.add_argument("--context", type=int, help="context size to plan memory for (with --files)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    if args.files:
        result = invoke_streaming(commands, "hub.files", {"repo": args.files, "context_size": args.context})
        if args.json:
            print_json(result)
        else:
            print_files(result.model_dump())
        return 0
    params = {"query": args.query, "sort": args.sort, "author": args.author, "limit": args.limit}
    result = invoke_streaming(commands, "hub.search", params)
    if args.json:
        print_json(result)
    else:
        print_models(result.model_dump()["models"])
    return 0


def print_models(models: list[dict[str, Any]]) -> None:
    if not models:
        print("no GGUF models found")
        return
    width = max(len(m["repo_id"]) for m in models)
    print(f"{'MODEL'.ljust(width)}  {'DOWNLOADS':>9}  {'LIKES':>6}  MODIFIED")
    for m in models:
        modified = m["last_modified"].date().isoformat() if m["last_modified"] else "-"
        gated = "  (gated)" if m["gated"] else ""
        print(f"{m['repo_id'].ljust(width)}  {m['downloads']:>9}  {m['likes']:>6}  {modified}{gated}")
    print("\nlist a repo's files: llamadesk search --files USER/REPO")


def print_files(repo: dict[str, Any]) -> None:
    choices = repo["choices"]
    if not choices:
        print(f"hf.co/{repo['repo_id']} has no GGUF model files")
        return
    width = max(len(c["name"]) for c in choices)
    print(
        f"hf.co/{repo['repo_id']} at {repo['commit'][:12]}: context {repo['context_size']}, "
        f"{_size(repo['memory_bytes'])} memory"
    )
    for c in choices:
        mark = "*" if c["name"] == repo["recommended"] else " "
        parts = f"  ({c['split_count']} files)" if c["split_count"] > 1 else ""
        missing = "  INCOMPLETE" if not c["complete"] else ""
        size = _size(c["size"]) if c["size"] is not None else "?"
        print(f"{mark} {c['name'].ljust(width)}  {size:>9}  {_FIT_MARKS[c['fit']]}{parts}{missing}")
    for path in repo["mmproj"]:
        print(f"  projector: {path}")
    if repo["recommended"]:
        print(f"\n* {repo['recommended_reason']}")
        print(f"pull it: llamadesk pull hf.co/{repo['repo_id']}:{repo['recommended']}")


def _size(value: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"
