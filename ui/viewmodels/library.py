"""Rows of the models and discover screens, from models.* and hub.* results (JSON dicts)."""

from __future__ import annotations

import re
from typing import Any

from .formatting import fit_badge, human_bytes
from .records import pick

QUANT = re.compile(r"(?i)\b(I?Q\d(?:_[A-Z0-9]+)*|F16|BF16|F32)\b")


def quant_of(filename: str) -> str:
    match = QUANT.search(filename.replace("-", " ").replace(".", " "))
    return match.group(1).upper() if match else ""


def model_row(
    model: dict[str, Any], available_memory: float | None, loaded: dict[str, str]
) -> dict[str, Any]:
    name = str(pick(model, "reference", "name", "id", default="?"))
    size = pick(model, "size", "size_bytes")
    details = pick(model, "details", "gguf", default={}) or {}
    arch = pick(model, "architecture", "arch", default=pick(details, "architecture", default="")) or ""
    context = pick(model, "context_length", default=pick(details, "context_length", default="")) or ""
    quant = pick(
        model, "quantization", "quant", default=pick(details, "quantization", default="")
    ) or quant_of(name)
    fit = pick(model, "fit", default=None) or fit_badge(size, available_memory)
    return {
        "name": name,
        "quant": str(quant),
        "size_text": human_bytes(size) if size else "",
        "arch": str(arch),
        "context": f"{context} ctx" if context else "",
        "where": str(
            pick(model, "problem", default="")
            or (
                "used in place"
                if model.get("in_place")
                else pick(model, "full_reference", "path", default="")
            )
        ),
        "fit": str(fit),
        "state": loaded.get(name, ""),
        "remote": bool(model.get("remote")),
    }


def remote_entry(model: dict[str, Any]) -> dict[str, Any]:
    """A model another server runs, shaped like a library entry for `model_row`."""
    return {
        "reference": model["id"],
        "path": f"runs at {model.get('where') or model['backend']}",
        "fit": "remote",
        "remote": True,
    }


def file_rows(files: list[dict[str, Any]], available_memory: float | None) -> list[dict[str, Any]]:
    """GGUF files of a repo, with the recommended one marked (the largest that fits, else smallest)."""
    rows = []
    for f in files:
        name = str(pick(f, "filename", "path", "name", default=""))
        if not name.lower().endswith(".gguf"):
            continue
        size = pick(f, "size", "size_bytes")
        rows.append(
            {
                "filename": name,
                "quant": str(pick(f, "quant", "quantization", default="") or quant_of(name)),
                "size_bytes": size or 0,
                "size_text": human_bytes(size) if size else "",
                "fit": str(pick(f, "fit", default="") or fit_badge(size, available_memory)),
                "recommended": bool(pick(f, "recommended", default=False)),
            }
        )
    if rows and not any(r["recommended"] for r in rows):
        fitting = [r for r in rows if r["fit"] == "fits"]
        best = (
            max(fitting, key=lambda r: r["size_bytes"])
            if fitting
            else min(rows, key=lambda r: r["size_bytes"])
        )
        best["recommended"] = True
    return rows
