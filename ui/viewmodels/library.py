"""Rows of the models and discover screens, from `models.list` and `hub.files` results."""

from __future__ import annotations

import re
from typing import Any

from llamadesk.core.models.hub import Fit, HubFileChoice, HubRepoFiles, RecommendReason
from llamadesk.core.models.library import ModelSummary, RemoteModelInfo

from ..catalogs import N_, tr
from .formatting import fit_badge, human_bytes

QUANT = re.compile(r"(?i)\b(I?Q\d(?:_[A-Z0-9]+)*|F16|BF16|F32)\b")
# How a hub choice's fit reads on its badge; the badge's tone is the same text.
FIT_TEXT = {
    Fit.FITS: N_("fits"),
    Fit.TIGHT: N_("tight"),
    Fit.TOO_BIG: N_("too big"),
    Fit.UNKNOWN: N_("size unknown"),
}


def quant_of(filename: str) -> str:
    match = QUANT.search(filename.replace("-", " ").replace(".", " "))
    return match.group(1).upper() if match else ""


def model_row(model: ModelSummary, available_memory: float | None, loaded: dict[str, str]) -> dict[str, Any]:
    """A library model: its quant (from the name), size, whether it fits, where it lives."""
    if model.problem:
        where = model.problem
    elif model.in_place:
        where = tr("used in place")
    else:
        where = model.full_reference
    return {
        "name": model.reference,
        "quant": quant_of(model.reference),
        "size_text": human_bytes(model.size) if model.size else "",
        "where": where,
        "fit": fit_badge(model.size, available_memory),
        "state": loaded.get(model.reference, ""),
        "remote": False,
    }


def remote_row(model: RemoteModelInfo, loaded: dict[str, str]) -> dict[str, Any]:
    """A model a backend serves from elsewhere: loaded by id, nothing on disk to size or delete."""
    return {
        "name": model.id,
        "quant": "",
        "size_text": "",
        "where": tr("runs at {place}").format(place=model.where or model.backend),
        "fit": N_("remote"),
        "state": loaded.get(model.id, ""),
        "remote": True,
    }


def choice_detail(choice: HubFileChoice) -> str:
    """The file a choice pulls, or how many parts a split one has."""
    if choice.split_count > 1:
        parts = tr("{count} parts").format(count=choice.split_count)
        return parts if choice.complete else tr("{parts}, some missing").format(parts=parts)
    return choice.files[0].rsplit("/", 1)[-1] if choice.files else ""


# Why a quant is recommended (hub.files gives the code; the plugin's English is for the CLI).
RECOMMEND_TEXT = {
    RecommendReason.BEST_FIT: N_("{name} is the best quality that fits in memory with room to spare"),
    RecommendReason.DEFAULT_TIGHT: N_("{name} is the usual default; memory is tight"),
    RecommendReason.ONLY_TIGHT: N_("only {name} or smaller fit, and tightly"),
    RecommendReason.DEFAULT_NO_SIZES: N_("{name} is the usual default (the hub did not give sizes)"),
    RecommendReason.NOTHING_FITS_DEFAULT: N_("nothing fits in memory; {name} is the usual default"),
    RecommendReason.NOTHING_FITS_SMALLEST: N_("nothing fits in memory; {name} is the smallest"),
    RecommendReason.NO_COMPLETE_FILE: N_("no complete GGUF model file in this repo"),
}


def recommendation_note(repo: HubRepoFiles) -> str:
    """Why the recommended quant, in the window's language ("" when there is none)."""
    if repo.recommended_why is None:
        return repo.recommended_reason  # a source that gives no code: its own words
    return tr(RECOMMEND_TEXT[repo.recommended_why]).format(name=repo.recommended or "")


def choice_rows(repo: HubRepoFiles) -> list[dict[str, Any]]:
    """A repo's choices as the file list shows them, the recommended one marked."""
    return [
        {
            "name": choice.name,
            "quant": choice.quant or choice.name,
            "detail": choice_detail(choice),
            "size_text": human_bytes(choice.size) if choice.size else "",
            "fit": FIT_TEXT[choice.fit],
            "recommended": choice.name == repo.recommended,
            "can_pull": choice.complete,
            "reference": f"hf.co/{repo.repo_id}:{choice.name}",
        }
        for choice in repo.choices
    ]
