"""Which quant to suggest for this machine: the best quality that fits, else llama.cpp's default.

The memory each file needs comes from the runtime's estimate (through `memory.py`); the
ranking of quants by quality is ours (`quants.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from llamadesk.core.models.hub import Fit, HubFileChoice
from llamadesk.core.models.llama import TIGHT_SHARE  # the runtime's: past this share, the machine suffers

from .quants import BEST_RECOMMENDED, DEFAULT_QUANT, quality_rank

Estimate = Callable[[int], int]  # file size -> bytes needed at the chosen context


def judge(choices: list[HubFileChoice], memory: int, estimate: Estimate) -> list[HubFileChoice]:
    """Each choice with its memory estimate and fit against `memory`."""
    judged = []
    for choice in choices:
        if choice.size is None:
            judged.append(choice.model_copy(update={"fit": Fit.UNKNOWN, "required_bytes": None}))
            continue
        needed = estimate(choice.size)
        if needed <= memory * TIGHT_SHARE:
            fit = Fit.FITS
        elif needed <= memory:
            fit = Fit.TIGHT
        else:
            fit = Fit.TOO_BIG
        judged.append(choice.model_copy(update={"fit": fit, "required_bytes": needed}))
    return judged


def recommend(choices: list[HubFileChoice]) -> tuple[str | None, str]:
    """(name of the suggested choice, why) among judged choices."""
    usable = [c for c in choices if c.complete]
    if not usable:
        return None, "no complete GGUF model file in this repo"
    ceiling = quality_rank(BEST_RECOMMENDED)
    fitting = [c for c in usable if c.fit == Fit.FITS]
    capped = [c for c in fitting if quality_rank(c.quant) <= ceiling] or fitting
    if capped:
        best = max(capped, key=lambda c: (quality_rank(c.quant), c.size or 0))
        return best.name, f"{best.name} is the best quality that fits in memory with room to spare"
    default = next((c for c in usable if c.quant == DEFAULT_QUANT), None)
    tight = [c for c in usable if c.fit == Fit.TIGHT]
    if default is not None and default.fit != Fit.TOO_BIG:
        return default.name, f"{DEFAULT_QUANT} is the usual default; memory is tight"
    if tight:
        best = max(tight, key=lambda c: (quality_rank(c.quant), c.size or 0))
        return best.name, f"only {best.name} or smaller fit, and tightly"
    if default is not None:
        if all(c.fit == Fit.UNKNOWN for c in usable):
            return default.name, f"{DEFAULT_QUANT} is the usual default (the hub did not give sizes)"
        return default.name, f"nothing fits in memory; {DEFAULT_QUANT} is the usual default"
    smallest = min(usable, key=lambda c: (c.size is None, c.size or 0, quality_rank(c.quant)))
    return smallest.name, f"nothing fits in memory; {smallest.name} is the smallest"
