"""What the status bar and model picker say, from `runtime.status` results (as JSON dicts)."""

from __future__ import annotations

from typing import Any

from .formatting import human_bytes


def loaded_models(status: dict[str, Any]) -> list[dict[str, Any]]:
    """The loaded models of a runtime.status result: each at least {id/name, state}."""
    for key in ("models", "loaded"):
        value = status.get(key)
        if isinstance(value, list):
            return [m for m in value if isinstance(m, dict)]
    return []


def short_model_name(model: str | None) -> str:
    """A model id can be a whole file path: show its file name without .gguf."""
    if not model:
        return ""
    name = model.replace("\\", "/").rsplit("/", 1)[-1]
    return name[:-5] if name.endswith(".gguf") else name


def model_name(entry: dict[str, Any]) -> str:
    for key in ("name", "model", "id"):
        if entry.get(key):
            return short_model_name(str(entry[key]))
    return "?"


def model_state(entry: dict[str, Any]) -> str:
    """`ready`, or `ready, GPU` where runtime.status says where the model runs."""
    state = str(entry.get("state", "?"))
    return f"{state}, {entry['processor']}" if entry.get("processor") else state


def status_texts(status: dict[str, Any]) -> tuple[str, str]:
    models = loaded_models(status)
    if not models:
        models_text = "No model loaded"
    else:
        models_text = "  ·  ".join(f"{model_name(m)} ({model_state(m)})" for m in models)
    memory = 0
    for m in models:
        for key in ("memory_bytes", "rss_bytes", "memory"):
            if isinstance(m.get(key), int | float):
                memory += m[key]
                break
    memory_text = f"Models use {human_bytes(memory)}" if memory else ""
    return models_text, memory_text


def ready_model(status: dict[str, Any]) -> str | None:
    """A model that can answer now, if any."""
    for m in loaded_models(status):
        if m.get("state") in ("ready", "generating"):
            return str(m.get("id") or model_name(m))
    return None
