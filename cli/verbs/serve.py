"""`llamadesk serve [--host H] [--port P] [--api-key K]`: the OpenAI-compatible API, until Ctrl+C."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from llamadesk.core.commands import CommandTable

from ..interrupts import Interrupted


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("serve", help="serve models over an OpenAI-compatible API until Ctrl+C")
    parser.add_argument("--host", help="address to listen on (default: the server.host setting)")
    parser.add_argument(
        "--port", type=int, help="port (default: the server.port setting; 0 picks a free one)"
    )
    parser.add_argument(
        "--api-key", help="key clients must send as a Bearer token (default: the server.api_key setting)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    # Ctrl+C and a service manager's SIGTERM only set a flag (cli/interrupts.py).
    with Interrupted(signal.SIGINT, signal.SIGTERM) as stop:
        params = {"host": args.host, "port": args.port, "api_key": args.api_key}
        status = commands.invoke("server.start", params).model_dump()
        key = " (API key required)" if status["key_required"] else ""
        # Flushed at once: scripts and tests read the URL from this line.
        print(f"Serving the OpenAI-compatible API at {status['url']}{key}. Ctrl+C stops.", flush=True)
        try:
            while not stop.is_set and commands.invoke("server.status").model_dump()["running"]:
                time.sleep(0.5)
            if stop.is_set:
                print("stopping", file=sys.stderr)
        finally:
            commands.invoke("server.stop")
    return 0
