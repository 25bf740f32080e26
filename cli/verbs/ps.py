"""`llamadesk ps`: the models loaded by every llamadesk process on this machine (the UI,
`llamadesk serve`, a `run` in another terminal), with state and memory."""

from __future__ import annotations

import argparse
import os

from llamadesk.core.commands import CommandTable
from llamadesk.core.models.llama import RuntimeStatus

from ..output import print_json


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("ps", help="list loaded models")
    parser.add_argument("--json", action="store_true", help="print runtime.status as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    status = commands.invoke("runtime.status", {"all_processes": True})
    assert isinstance(status, RuntimeStatus)
    if args.json:
        print_json(status)
        return 0
    if not status.models:
        print("no models loaded")
        return 0
    print(
        f"{'MODEL':40} {'STATE':10} {'PID':>8} {'MEMORY':>10} {'CONTEXT':>8} {'PROCESSOR':>10} {'LOADED BY':>10}"
    )
    for model in status.models:
        memory = mib(model.memory_bytes) or "-"
        owner = "this" if model.owner_pid in (None, os.getpid()) else str(model.owner_pid)
        print(
            f"{model.id[-40:]:40} {model.state.value:10} {model.pid or '-':>8} {memory:>10} "
            f"{model.context_size or '-':>8} {model.processor or '-':>10} {owner:>10}"
        )
        if model.message:
            print(f"  {model.message}")
        if any(part.remote for part in model.parts):  # split across machines: say where each part runs
            for part in model.parts:
                print(f"  {part.label()}" + (f", {mib(part.memory_bytes)}" if part.memory_bytes else ""))
    return 0


def mib(size: int | None) -> str:
    return f"{size / 2**20:.0f} MiB" if size else ""
