"""`llamadesk show REF [--json]`: what a model is, from its manifest and GGUF header."""

from __future__ import annotations

import argparse

from llamadesk.core.commands import CommandTable

from ..output import print_json, size_label


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("show", help="show a model's details")
    parser.add_argument("reference")
    parser.add_argument("--json", action="store_true", help="print everything as JSON (manifest included)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    details = commands.invoke("models.show", {"reference": args.reference})
    if args.json:
        print_json(details)
        return 0
    data = details.model_dump()
    summary, gguf = data["summary"], data["gguf"] or {}
    lines = [
        ("model", summary["full_reference"]),
        ("format", summary["format"]),
        ("status", "" if summary["status"] == "ready" else summary["status"]),
        ("missing blobs", "\n".join(summary["missing_blobs"])),
        ("size", size_label(summary["size"])),
        ("architecture", gguf.get("architecture", "")),
        ("parameters", _count(gguf.get("parameter_count", 0))),
        ("quantization", gguf.get("quantization", "")),
        ("context length", str(gguf.get("context_length", "") or "")),
        ("layers", str(gguf.get("block_count", "") or "")),
        ("chat template", "yes" if gguf.get("chat_template") or data["template"] else "no"),
        ("files", "\n".join(data["files"])),
    ]
    if data["license"]:
        lines.append(("license", data["license"].strip().splitlines()[0][:100]))
    for key, value in lines:
        if value:
            first, *rest = value.splitlines()
            print(f"  {key:<15} {first}")
            for line in rest:
                print(f"  {'':<15} {line}")
    if summary["problem"]:
        print(f"warning: {summary['problem']}")
    return 0


def _count(value: int) -> str:
    if not value:
        return ""
    return f"{value / 1e9:.2f}B" if value >= 1e9 else f"{value / 1e6:.0f}M"
