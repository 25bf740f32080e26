"""Which quant to suggest for this machine: the best quality that fits, else llama.cpp's default.

The memory each file needs comes from the runtime's estimate (through `memory.py`); the
ranking of quants by quality is ours (`quants.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from llamadesk.core.models.hub import Fit, HubFileChoice, RecommendReason
from llamadesk.core.models.memory import TIGHT_SHARE  # the runtime's: past this share, the machine suffers

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


# The reasons in English, for the command line; the window words the codes itself.
REASON_TEXT = {
    RecommendReason.BEST_FIT: "{name} is the best quality that fits in memory with room to spare",
    RecommendReason.DEFAULT_TIGHT: "{name} is the usual default; memory is tight",
    RecommendReason.ONLY_TIGHT: "only {name} or smaller fit, and tightly",
    RecommendReason.DEFAULT_NO_SIZES: "{name} is the usual default (the hub did not give sizes)",
    RecommendReason.NOTHING_FITS_DEFAULT: "nothing fits in memory; {name} is the usual default",
    RecommendReason.NOTHING_FITS_SMALLEST: "nothing fits in memory; {name} is the smallest",
    RecommendReason.NO_COMPLETE_FILE: "no complete GGUF model file in this repo",
}


def recommend(choices: list[HubFileChoice]) -> tuple[str | None, RecommendReason]:
    """(name of the suggested choice, why) among judged choices."""
    usable = [c for c in choices if c.complete]
    if not usable:
        return None, RecommendReason.NO_COMPLETE_FILE
    ceiling = quality_rank(BEST_RECOMMENDED)
    fitting = [c for c in usable if c.fit == Fit.FITS]
    capped = [c for c in fitting if quality_rank(c.quant) <= ceiling] or fitting
    if capped:
        best = max(capped, key=lambda c: (quality_rank(c.quant), c.size or 0))
        return best.name, RecommendReason.BEST_FIT
    default = next((c for c in usable if c.quant == DEFAULT_QUANT), None)
    tight = [c for c in usable if c.fit == Fit.TIGHT]
    if default is not None and default.fit != Fit.TOO_BIG:
        return default.name, RecommendReason.DEFAULT_TIGHT
    if tight:
        best = max(tight, key=lambda c: (quality_rank(c.quant), c.size or 0))
        return best.name, RecommendReason.ONLY_TIGHT
    if default is not None:
        if all(c.fit == Fit.UNKNOWN for c in usable):
            return default.name, RecommendReason.DEFAULT_NO_SIZES
        return default.name, RecommendReason.NOTHING_FITS_DEFAULT
    smallest = min(usable, key=lambda c: (c.size is None, c.size or 0, quality_rank(c.quant)))
    return smallest.name, RecommendReason.NOTHING_FITS_SMALLEST
