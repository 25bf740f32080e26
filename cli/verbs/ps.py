"""`llamadesk ps`: the models loaded by every llamadesk process on this machine (the UI,
`llamadesk serve`, a `run` in another terminal), with state, memory, slots in use, and
what the prompt cache and speculative decoding have spared."""

from __future__ import annotations

import argparse
import os

from llamadesk.core.commands import CommandTable
from llamadesk.core.models.llama import ModelActivity, RuntimeStatus

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
        f"{'MODEL':40} {'STATE':10} {'PID':>8} {'MEMORY':>10} {'CONTEXT':>8} {'SLOTS':>6} {'PROCESSOR':>10} "
        f"{'LOADED BY':>10}"
    )
    for model in status.models:
        memory = mib(model.memory_bytes) or "-"
        owner = "this" if model.owner_pid in (None, os.getpid()) else str(model.owner_pid)
        print(
            f"{model.id[-40:]:40} {model.state.value:10} {model.pid or '-':>8} {memory:>10} "
            f"{model.context_size or '-':>8} {slots(model.activity):>6} {model.processor or '-':>10} {owner:>10}"
        )
        if model.activity is not None and (line := activity_line(model.activity)):
            print(f"  {line}")
        if model.message:
            print(f"  {model.message}")
        if any(part.remote for part in model.parts):  # split across machines: say where each part runs
            for part in model.parts:
                print(f"  {part.label()}" + (f", {mib(part.memory_bytes)}" if part.memory_bytes else ""))
    return 0


def slots(activity: ModelActivity | None) -> str:
    """In use / slots, and how many wait: `2/4`, `4/4+3`."""
    if activity is None:
        return "-"
    waiting = f"+{activity.waiting}" if activity.waiting else ""
    return f"{activity.busy_slots}/{activity.slots}{waiting}"


def activity_line(activity: ModelActivity) -> str:
    """What the prompt cache and drafting spared since the model was loaded, if anything."""
    parts = []
    if activity.cached_share is not None:
        parts.append(
            f"prompt tokens reused {activity.cached_tokens}/{activity.prompt_tokens} "
            f"({activity.cached_share:.0%})"
        )
    if activity.acceptance is not None:
        parts.append(
            f"draft tokens accepted {activity.accepted_tokens}/{activity.drafted_tokens} "
            f"({activity.acceptance:.0%})"
        )
    return ", ".join(parts)


def mib(size: int | None) -> str:
    return f"{size / 2**20:.0f} MiB" if size else ""
