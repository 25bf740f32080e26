"""`llamadesk chats [list | search TEXT | show ID | export ID | import FILE]`: the chat history."""

from __future__ import annotations

import argparse
import sys

from llamadesk.core.commands import CommandTable

from ..output import print_json


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("chats", help="list, search, show, export and import saved chats")
    parser.add_argument("--json", action="store_true", help="print the command's JSON result")
    actions = parser.add_subparsers(dest="action")
    list_ = actions.add_parser("list", help="chats, pinned first, then newest first (the default)")
    list_.add_argument("--limit", type=int, default=50)
    list_.add_argument("--offset", type=int, default=0)
    list_.add_argument("--all", action="store_true", help="include archived chats")
    search = actions.add_parser("search", help="full-text search over every message")
    search.add_argument("text")
    mode = search.add_mutually_exclusive_group()
    mode.add_argument("--phrase", action="store_true", help="the words next to each other, in order")
    mode.add_argument("--prefix", action="store_true", help="the last word may be unfinished")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--offset", type=int, default=0)
    show = actions.add_parser("show", help="print a chat's active branch as Markdown")
    show.add_argument("id")
    export = actions.add_parser("export", help="print or save a chat as Markdown or JSON")
    export.add_argument("id")
    export.add_argument("--format", choices=["markdown", "json"], default="markdown")
    export.add_argument("-o", "--output", help="write to this file instead of printing")
    import_ = actions.add_parser("import", help="add a chat from a JSON export")
    import_.add_argument("file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    action = args.action or "list"
    if action == "list":
        params = {"limit": getattr(args, "limit", 50), "offset": getattr(args, "offset", 0)}
        page = commands.invoke("chat.list", {**params, "include_archived": getattr(args, "all", False)})
        if args.json:
            print_json(page)
            return 0
        data = page.model_dump()
        for session in data["sessions"]:
            flag = "*" if session["pinned"] else " "
            print(f"{session['id']} {flag} {session['updated_at']:%Y-%m-%d %H:%M}  {session['title']}")
        shown = data["offset"] + len(data["sessions"])
        if shown < data["total"]:
            print(f"({shown} of {data['total']}; --offset {shown} for more)", file=sys.stderr)
    elif action == "search":
        mode = "phrase" if args.phrase else "prefix" if args.prefix else "words"
        result = commands.invoke(
            "chat.search",
            {
                "text": args.text,
                "mode": mode,
                "limit": args.limit,
                "offset": args.offset,
                "highlight": ["[", "]"],
            },
        )
        if args.json:
            print_json(result)
            return 0
        hits = result.model_dump()["hits"]
        for hit in hits:
            snippet = " ".join(hit["snippet"].split())
            print(f"{hit['session_id']}  {hit['session_title']}  ({hit['role']})\n    {snippet}")
        if not hits:
            print("no matches", file=sys.stderr)
    elif action == "show":
        print(commands.invoke("chat.export", {"session_id": args.id}).model_dump()["content"], end="")
    elif action == "export":
        params = {"session_id": args.id, "format": args.format, "path": args.output}
        result = commands.invoke("chat.export", params)
        if args.output:
            print(f"saved {args.output}", file=sys.stderr)
        else:
            print(result.model_dump()["content"], end="")
    else:
        session = commands.invoke("chat.import", {"path": args.file})
        data = session.model_dump()
        print(f"imported {data['id']}  {data['title']}")
    return 0
