"""`llamadesk ps`: the models loaded by every llamadesk process on this machine (the UI,
`llamadesk serve`, a `run` in another terminal), with state and memory."""

from __future__ import annotations

import argparse
import os

from llamadesk.core.commands import CommandTable

from ..output import print_json


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("ps", help="list loaded models")
    parser.add_argument("--json", action="store_true", help="print runtime.status as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    status = commands.invoke("runtime.status", {"all_processes": True})
    if args.json:
        print_json(status)
        return 0
    models = status.model_dump()["models"]
    if not models:
        print("no models loaded")
        return 0
    print(
        f"{'MODEL':40} {'STATE':10} {'PID':>8} {'MEMORY':>10} {'CONTEXT':>8} {'PROCESSOR':>10} {'LOADED BY':>10}"
    )
    for model in models:
        memory = f"{model['memory_bytes'] / 2**20:.0f} MiB" if model["memory_bytes"] else "-"
        owner = "this" if model["owner_pid"] in (None, os.getpid()) else str(model["owner_pid"])
        print(
            f"{model['id'][-40:]:40} {model['state']:10} {model['pid'] or '-':>8} {memory:>10} "
            f"{model['context_size'] or '-':>8} {model['processor'] or '-':>10} {owner:>10}"
        )
        if model["message"]:
            print(f"  {model['message']}")
    return 0
