"""What the runtime knows about one model id, and the `ModelStatus` it reports for it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..interfaces.backend import LoadedModel
from ..models.llama import LoadOptions, ModelActivity, ModelPart, ModelState, ModelStatus


@dataclass
class ModelEntry:
    """What the service knows about one model id."""

    id: str
    location: str = ""
    options: LoadOptions | None = None
    backend: str = ""
    handle: LoadedModel | None = None
    state: ModelState = ModelState.STOPPED
    message: str = ""
    progress: float | None = None
    warnings: list[str] = field(default_factory=list)
    loaded_at: float | None = None
    last_used: float | None = None
    generating: int = 0
    keep_alive_s: float | None = None  # this model's own keep-alive; None: the settings' idle time

    def expires_at(self, idle_s: float | None) -> float | None:
        """When it is unloaded if unused until then (None: never), given the settings' idle time."""
        keep = self.keep_alive_s if self.keep_alive_s is not None else idle_s
        if keep is None or keep < 0:
            return None
        return (self.last_used or self.loaded_at or 0.0) + keep


def processor_text(offloaded: tuple[int, int] | None, parts: list[ModelPart] | None = None) -> str:
    """Where a model runs, as `ollama ps` says it: CPU, GPU, or the GPU's share of layers; for a
    model split across machines, the share of layers on other machines (RPC 20/31)."""
    remote = sum(part.layers for part in parts or [] if part.remote)
    if parts and remote:
        count = sum(part.layers for part in parts)
        return "RPC" if remote >= count else f"RPC {remote}/{count}"
    if offloaded is None or not offloaded[1]:
        return ""  # a remote server: its own business
    on_gpu, count = offloaded
    if on_gpu == 0:
        return "CPU"
    return "GPU" if on_gpu >= count else f"GPU {on_gpu}/{count}"


def entry_status(entry: ModelEntry, idle_s: float | None = None) -> ModelStatus:
    handle = entry.handle
    offloaded = handle.offloaded_layers if handle else None
    parts: list[ModelPart] = list(getattr(handle, "parts", None) or [])  # optional in a backend
    activity: ModelActivity | None = getattr(handle, "activity", None)  # optional too
    return ModelStatus(
        id=entry.id,
        path=entry.location,
        backend=entry.backend,
        state=entry.state,
        message=entry.message,
        progress=entry.progress,
        options=entry.options,
        pid=handle.pid if handle else None,
        memory_bytes=handle.memory_bytes() if handle else None,
        context_size=handle.context_size if handle else None,
        gpu_layers_offloaded=offloaded[0] if offloaded else None,
        layer_count=offloaded[1] if offloaded else None,
        processor=processor_text(offloaded, parts),
        parts=parts,
        activity=activity,
        chat_template=handle.chat_template if handle else "",
        warnings=list(entry.warnings),
        loaded_at=entry.loaded_at,
        last_used=entry.last_used,
        keep_alive_s=entry.keep_alive_s,
        expires_at=entry.expires_at(idle_s) if entry.handle is not None else None,
        owner_pid=os.getpid(),
    )
