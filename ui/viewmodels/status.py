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
    """`ready`, or `ready, GPU` where runtime.status says where the model runs, and
    `2/4 slots` for a model that serves several conversations at once; the state in the
    window's language (the words are marked in screens/chat_models.py)."""
    parts = [tr(entry.state.value)]
    if entry.processor:
        parts.append(entry.processor)
    activity = entry.activity
    if activity is not None and activity.slots > 1:
        parts.append(tr("{busy}/{slots} slots").format(busy=activity.busy_slots, slots=activity.slots))
    return ", ".join(parts)


def spared_text(status: RuntimeStatus) -> str:
    """What the prompt cache and speculative decoding spared, over the loaded models."""
    activities = [m.activity for m in status.models if m.activity is not None]
    prompt = sum(a.prompt_tokens for a in activities)
    drafted = sum(a.drafted_tokens for a in activities)
    parts = []
    if prompt:
        share = sum(a.cached_tokens for a in activities) / prompt
        parts.append(tr("prompt reused {share}").format(share=f"{share:.0%}"))
    if drafted:
        share = sum(a.accepted_tokens for a in activities) / drafted
        parts.append(tr("drafts accepted {share}").format(share=f"{share:.0%}"))
    return ", ".join(parts)


def status_texts(status: RuntimeStatus) -> tuple[str, str]:
    if not status.models:
        models_text = tr("No model loaded")
    else:
        models_text = "  ·  ".join(f"{short_model_name(m.id)} ({model_state(m)})" for m in status.models)
    memory = sum(m.memory_bytes or 0 for m in status.models)
    memory_text = tr("Models use {size}").format(size=human_bytes(memory)) if memory else ""
    if spared := spared_text(status):
        memory_text = f"{memory_text}  ·  {spared}" if memory_text else spared
    return models_text, memory_text


def loaded_states(status: RuntimeStatus) -> dict[str, str]:
    """Each loaded model's id and state (ready, loading, generating, error...)."""
    return {m.id: m.state.value for m in status.models}
