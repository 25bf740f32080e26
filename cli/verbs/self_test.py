"""`llamadesk self-test [--model PATH]` (also `--self-test`): check this install or bundle works.

Runs on an App in a throwaway home, so it neither reads nor changes the user's
settings, chats or models; the user's plugins folder is still searched.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from llamadesk.core.commands import CommandTable

from ..checks import Outcome, run_checks


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "self-test",
        help="check plugins, commands, chat store and the model worker; non-zero exit on any failure",
    )
    parser.add_argument("--model", type=Path, help="a GGUF file to load and generate a few tokens with")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(run=run, isolated_home=True)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    if args.model is not None and not args.model.is_file():
        raise SystemExit(f"error: no model file at {args.model}")
    started = time.perf_counter()
    results = run_checks(commands, args.model)
    total = time.perf_counter() - started
    passed = all(result.outcome != Outcome.FAILED for result in results)
    if args.json:
        report = {
            "passed": passed,
            "seconds": total,
            "frozen": bool(getattr(sys, "frozen", False)),
            "checks": [result.as_dict() for result in results],
        }
        print(json.dumps(report, indent=2, default=str))
    else:
        frozen = "bundle" if getattr(sys, "frozen", False) else "python " + platform.python_version()
        print(f"llamadesk self-test ({frozen}, {platform.system()} {platform.machine()})")
        width = max(len(result.name) for result in results)
        for result in results:
            print(
                f"  {result.outcome.value:6} {result.name.ljust(width)}  {result.detail}  [{result.seconds:.2f} s]"
            )
        print(f"self-test {'passed' if passed else 'FAILED'} in {total:.1f} s")
    return 0 if passed else 1
