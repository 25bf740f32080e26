"""`llamadesk remote [list | add NAME URL [--key K] | remove NAME | models]`: remote servers."""

from __future__ import annotations

import argparse

from llamadesk.core.commands import CommandTable

from ..output import print_json


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("remote", help="use models of OpenAI-compatible servers elsewhere")
    parser.add_argument("--json", action="store_true", help="print the command's JSON result")
    actions = parser.add_subparsers(dest="action")
    add_ = actions.add_parser("add", help="save a server, e.g. `remote add gpubox http://gpubox:8080/v1`")
    add_.add_argument("name")
    add_.add_argument("url")
    add_.add_argument("--key", help="Bearer key the server expects")
    add_.add_argument("--no-check", action="store_true", help="save without asking the server first")
    actions.add_parser("list", help="the saved servers")
    remove = actions.add_parser("remove", help="forget a server")
    remove.add_argument("name")
    actions.add_parser("models", help="every saved server's models")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    action = args.action or "list"
    if action == "add":
        params = {"name": args.name, "url": args.url, "api_key": args.key, "check": not args.no_check}
        result = commands.invoke("remote.add", params)
        if not args.json:
            data = result.model_dump()
            count = f" with {len(data['models'])} models" if not args.no_check else ""
            print(f"added remote {data['remote']['name']} ({data['remote']['base_url']}){count}")
            for model in data["models"]:
                print(f"  {model['id']}")
            return 0
    elif action == "remove":
        result = commands.invoke("remote.remove", {"name": args.name})
        if not args.json:
            print(f"removed remote {args.name}")
            return 0
    elif action == "models":
        result = commands.invoke("remote.models")
        if not args.json:
            data = result.model_dump()
            for model in data["models"]:
                print(model["id"])
            for failure in data["failures"]:
                print(f"unreachable: {failure['remote']}: {failure['error']}")
            return 0
    else:
        result = commands.invoke("remote.list")
        if not args.json:
            for remote in result.model_dump()["remotes"]:
                key = "  (key set)" if remote["has_key"] else ""
                print(f"{remote['name']}  {remote['base_url']}{key}")
            return 0
    print_json(result)
    return 0
