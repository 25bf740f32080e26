"""The Models screen's detail view and import list without a window: what `llamadesk show`
prints, the memory estimate for this machine, and the GGUFs other apps keep."""

from __future__ import annotations

from typing import Any

from llamadesk.core.models.library import DiscoveredModel, ModelDetails
from llamadesk.core.models.memory import MemoryEstimate

from ..catalogs import tr
from .formatting import human_bytes


def _count(value: int) -> str:
    if not value:
        return ""
    return f"{value / 1e9:.2f}B" if value >= 1e9 else f"{value / 1e6:.0f}M"


def detail_lines(details: ModelDetails) -> list[tuple[str, str]]:
    """(label, value) as `llamadesk show` prints them; empty values left out."""
    summary = details.summary
    gguf = details.gguf.model_dump() if details.gguf else {}
    lines = [
        (tr("model"), summary.full_reference),
        (tr("format"), summary.format),
        (tr("status"), "" if summary.status == "ready" else summary.status),
        (tr("missing blobs"), "\n".join(summary.missing_blobs)),
        (tr("size"), human_bytes(summary.size) if summary.size else ""),
        (tr("architecture"), str(gguf.get("architecture") or "")),
        (tr("parameters"), _count(int(gguf.get("parameter_count") or 0))),
        (tr("quantization"), str(gguf.get("quantization") or "")),
        (tr("context length"), str(gguf.get("context_length") or "")),
        (tr("layers"), str(gguf.get("block_count") or "")),
        (tr("chat template"), tr("yes") if gguf.get("chat_template") or details.template else tr("no")),
        (tr("files"), "\n".join(details.files)),
    ]
    if details.license:
        lines.append((tr("license"), details.license.strip().splitlines()[0][:100]))
    if summary.problem:
        lines.append((tr("warning"), summary.problem))
    return [(label, value) for label, value in lines if value]


def memory_text(estimate: MemoryEstimate | None) -> str:
    """`Needs 1.2 GB at 4096 tokens of context (weights 0.9, cache 0.2); 6.3 GB free: fits.`"""
    if estimate is None:
        return tr("No memory estimate (its GGUF header could not be read).")
    parts = tr("weights {weights}, context cache {cache}").format(
        weights=human_bytes(estimate.weights_bytes), cache=human_bytes(estimate.kv_cache_bytes)
    )
    if estimate.gpu_bytes:
        parts += tr(", {size} of it in the GPU's memory").format(size=human_bytes(estimate.gpu_bytes))
    text = tr("Needs {size} at {context} tokens of context ({parts})").format(
        size=human_bytes(estimate.total_bytes), context=estimate.context_size, parts=parts
    )
    if estimate.available_bytes is None:
        return text + "."
    verdict = tr("fits") if estimate.fits else tr("does not fit")
    return tr("{text}; {free} free now: {verdict}.").format(
        text=text, free=human_bytes(estimate.available_bytes), verdict=verdict
    )


def importable_row(model: DiscoveredModel) -> dict[str, Any]:
    """A GGUF another app keeps, for the Models screen's "From other apps" list."""
    source = {"huggingface": tr("Hugging Face cache"), "lmstudio": "LM Studio"}.get(
        model.source, model.source
    )
    return {
        "viewclass": "ImportableRow",
        "name": model.suggested_name or model.path.rsplit("/", 1)[-1],
        "path": model.path,
        "where": f"{source} · {model.repository}" if model.repository else source,
        "size_text": human_bytes(model.size),
        "imported": model.imported,
    }
