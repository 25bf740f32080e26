"""What the status bar and model picker say, from `runtime.status` results."""

from __future__ import annotations

from llamadesk.core.models.llama import ModelStatus, RuntimeStatus

from ..catalogs import tr
from .formatting import human_bytes


def short_model_name(model: str | None) -> str:
    """A model loaded from a file has the whole path as its id: show the file name without
    .gguf. References (`smollm2:135m`) and served models (`@gpubox/qwen`, `scripted/echo`)
    are shown whole: their prefix says where they come from."""
    if not model:
        return ""
    if not (model.endswith(".gguf") or model.startswith(("/", "~", "\\")) or "\\" in model):
        return model
    name = model.replace("\\", "/").rsplit("/", 1)[-1]
    return name[:-5] if name.endswith(".gguf") else name


def model_state(entry: ModelStatus) -> str:
    """`ready`, or `ready, GPU` where runtime.status says where the model runs; the state in
    the window's language (the words are marked in screens/chat_models.py)."""
    state = tr(entry.state.value)
    return f"{state}, {entry.processor}" if entry.processor else state


def status_texts(status: RuntimeStatus) -> tuple[str, str]:
    if not status.models:
        models_text = tr("No model loaded")
    else:
        models_text = "  ·  ".join(f"{short_model_name(m.id)} ({model_state(m)})" for m in status.models)
    memory = sum(m.memory_bytes or 0 for m in status.models)
    memory_text = tr("Models use {size}").format(size=human_bytes(memory)) if memory else ""
    return models_text, memory_text


def loaded_states(status: RuntimeStatus) -> dict[str, str]:
    """Each loaded model's id and state (ready, loading, generating, error...)."""
    return {m.id: m.state.value for m in status.models}
