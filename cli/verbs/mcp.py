"""`llamadesk mcp add|list|rm|tools|import|serve`: MCP servers whose tools chats may use, and
llamadesk itself as an MCP server.

    llamadesk mcp add time -- mcp-server-time --local-timezone Europe/Oslo
    llamadesk mcp add docs --url https://example.com/mcp --header "Authorization=Bearer KEY"
    llamadesk mcp import ~/Library/Application\\ Support/Claude/claude_desktop_config.json
    llamadesk mcp serve          # for another agent: stdio is the protocol
"""

from __future__ import annotations

import argparse
import shlex
import signal
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from llamadesk.core.commands import CommandTable

from ..interrupts import Interrupted
from ..output import print_json

SERVE_POLL_SECONDS = 0.2
SERVE_STOP_SECONDS = 5.0


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("mcp", help="MCP servers whose tools chats may use; `mcp serve` serves llamadesk")
    parser.add_argument("--json", action="store_true", help="print the command's JSON result")
    actions = parser.add_subparsers(dest="action")

    # Options go before NAME (as with `claude mcp add`): after NAME, argparse takes
    # everything for the command, and after `--` nothing is read as an option.
    add_ = actions.add_parser(
        "add",
        help="save a server: `mcp add NAME -- COMMAND [ARGS...]` (stdio) or `mcp add NAME --url URL`",
        usage="llamadesk mcp add [OPTIONS] NAME -- COMMAND [ARGS...]\n"
        "       llamadesk mcp add [OPTIONS] NAME --url URL",
    )
    add_.add_argument("name", help="short name: letters, digits, - and _")
    add_.add_argument("argv", nargs="*", metavar="COMMAND", help="after --: the program and its arguments")
    add_.add_argument("--url", help="a streamable HTTP server's endpoint")
    add_.add_argument("--header", action="append", default=[], metavar="K=V", help="an HTTP header (repeat)")
    add_.add_argument(
        "--env", action="append", default=[], metavar="K=V", help="an environment variable (repeat)"
    )
    add_.add_argument("--cwd", help="the folder to run the program in")
    add_.add_argument(
        "--allow", action="append", default=[], metavar="TOOL", help="offer only this tool (repeat)"
    )
    add_.add_argument("--trusted", action="store_true", help="its read-only tools run without asking")
    add_.add_argument("--disabled", action="store_true", help="save it without offering its tools")
    add_.add_argument("--no-check", action="store_true", help="save without starting it first")

    actions.add_parser("list", help="the saved servers and their status")
    remove = actions.add_parser("rm", aliases=["remove"], help="forget a server")
    remove.add_argument("name")
    tools = actions.add_parser("tools", help="a server's tools and resources (starts it if needed)")
    tools.add_argument("name")
    import_ = actions.add_parser(
        "import", help="add the servers of an mcpServers JSON file (Claude Desktop...)"
    )
    import_.add_argument("file")
    import_.add_argument("--replace", action="store_true", help="replace servers of the same name")
    actions.add_parser("serve", help="serve llamadesk's commands as MCP tools over stdio, for another agent")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    action = args.action or "list"
    if action == "serve":
        return _serve(commands)
    if action == "add":
        result = commands.invoke("mcp.add", _add_params(args))
        if not args.json:
            data = result.model_dump()
            server, tools = data["server"], data["tools"]
            count = f", {len(tools)} tools" if not args.no_check and not args.disabled else ""
            print(f"added {server['name']} ({_target(server)}){count}")
            _print_tools(tools)
            return 0
    elif action in ("rm", "remove"):
        result = commands.invoke("mcp.remove", {"name": args.name})
        if not args.json:
            print(f"removed {args.name}")
            return 0
    elif action == "tools":
        result = commands.invoke("mcp.tools", {"name": args.name})
        if not args.json:
            data = result.model_dump()
            print(f"{data['server']['name']}: {data['server']['status']}")
            _print_tools(data["tools"])
            if data["resources"]:
                print("resources:")
            for resource in data["resources"]:
                about = f"  {resource['description']}" if resource["description"] else ""
                print(f"  {resource['uri']}{about}")
            return 0
    elif action == "import":
        result = commands.invoke("mcp.import", {"path": args.file, "replace": args.replace})
        if not args.json:
            data = result.model_dump()
            for server in data["added"]:
                print(f"added {server['name']} ({_target(server)})")
            for skipped in data["skipped"]:
                where = f" (line {skipped['line']})" if skipped["line"] else ""
                print(f"skipped {skipped['name']}{where}: {skipped['reason']}")
            return 0
    else:
        result = commands.invoke("mcp.list")
        if not args.json:
            servers = result.model_dump()["servers"]
            if not servers:
                print("no MCP servers: add one with `llamadesk mcp add NAME -- COMMAND`")
            for server in servers:
                trusted = "  (trusted)" if server["trusted"] else ""
                print(f"{server['name']}  {server['status']}  {_target(server)}{trusted}")
            return 0
    print_json(result)
    return 0


def _add_params(args: argparse.Namespace) -> dict[str, Any]:
    if bool(args.url) == bool(args.argv):
        raise SystemExit("error: give the server's command after --, or its --url")
    params: dict[str, Any] = {
        "name": args.name,
        "allowed_tools": args.allow,
        "trusted": args.trusted,
        "enabled": not args.disabled,
        "check": not args.no_check,
    }
    if args.url:
        return params | {"transport": "http", "url": args.url, "headers": _pairs(args.header, "--header")}
    command, *rest = args.argv
    return params | {
        "transport": "stdio",
        "command": command,
        "args": rest,
        "env": _pairs(args.env, "--env"),
        "cwd": args.cwd,
    }


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    """K=V items (a header may also be written `K: V`, as curl takes it)."""
    pairs: dict[str, str] = {}
    for item in items:
        separator = "=" if "=" in item and (":" not in item or item.index("=") < item.index(":")) else ":"
        key, found, value = item.partition(separator)
        if not found or not key.strip():
            raise SystemExit(f"error: {flag} takes KEY=VALUE, not {item!r}")
        pairs[key.strip()] = value.strip() if separator == ":" else value
    return pairs


def _target(server: dict[str, Any]) -> str:
    if server["transport"] == "http":
        return f"http: {server['url']}"
    return "stdio: " + shlex.join([server["command"] or "", *server["args"]])


def _print_tools(tools: list[dict[str, Any]]) -> None:
    for tool in tools:
        marks = [
            m for m, on in (("read-only", tool["read_only"]), ("not allowed", not tool["allowed"])) if on
        ]
        note = f"  [{', '.join(marks)}]" if marks else ""
        about = tool["description"].splitlines()[0] if tool["description"] else ""
        print(f"  {tool['name']}{note}  {about}".rstrip())


def _serve(commands: CommandTable) -> int:
    """Serve until the client closes our input; Ctrl+C or SIGTERM stop it cleanly. Nothing
    is printed to stdout: it is the protocol."""
    with Interrupted(signal.SIGINT, signal.SIGTERM) as stop:
        running = commands.start("mcp.serve", {})
        while True:
            try:
                running.result(SERVE_POLL_SECONDS)  # raises CommandError if serving failed
                return 0
            except FutureTimeout:
                if stop.is_set:
                    running.cancel()
                    break
    try:
        running.result(SERVE_STOP_SECONDS)
    except FutureTimeout:
        pass
    except Exception:  # a cancelled serve reports it; stopping was asked for
        pass
    return 0
