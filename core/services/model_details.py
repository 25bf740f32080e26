"""What `models.show` tells about one stored model: its summary, files, layers, GGUF metadata,
the texts Ollama keeps beside the weights, and the memory estimate for this machine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..gguf import GGUFError, read_gguf
from ..models.gguf import GGUFInfo
from ..models.library import ModelDetails
from ..models.memory import MemoryEstimate
from ..models.reference import ModelRef
from .model_layers import describe_layers, read_text_layers
from .model_store import ModelStore
from .model_summaries import summarize, summarize_in_place

LICENSE_CHARS = 4000  # a license text is shown cut: some are whole books

Estimate = Callable[[GGUFInfo], MemoryEstimate | None]


def model_details(
    store: ModelStore, ref: ModelRef, files: Callable[[ModelRef], list[Path]], estimate: Estimate
) -> ModelDetails:
    record = store.read_in_place(ref)
    if record is not None:
        summary = summarize_in_place(store, ref)
        assert summary is not None
        gguf = _gguf(record.files[0])
        return ModelDetails(
            summary=summary,
            files=[str(f) for f in record.files],
            gguf=gguf,
            memory_estimate=estimate(gguf) if gguf else None,
            license=_shorten(gguf.license if gguf else None),
        )
    manifest, data = store.read_manifest(ref)
    summary = summarize(store, ref, manifest, data)
    assert summary is not None
    # An incomplete model is still shown (manifest, which blobs are missing), just not loadable.
    paths = files(ref) if not summary.missing_blobs else []
    gguf = _gguf(paths[0]) if paths else None
    texts = read_text_layers(store, manifest)
    return ModelDetails(
        summary=summary,
        files=[str(f) for f in paths],
        layers=describe_layers(manifest, summary.missing_blobs),
        manifest=manifest.model_dump(by_alias=True, exclude_none=True, mode="json"),
        gguf=gguf,
        memory_estimate=estimate(gguf) if gguf else None,
        template=texts.get("template"),
        system=texts.get("system"),
        params=texts.get("params"),
        license=_shorten(texts.get("license") or (gguf.license if gguf else None)),
    )


def _gguf(path: Path) -> GGUFInfo | None:
    try:
        return read_gguf(path)
    except GGUFError:
        return None


def _shorten(text: str | None, limit: int = LICENSE_CHARS) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + "\n[...]"
