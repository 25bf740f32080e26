"""The model library and the loaded models as Ollama lists them: `/api/tags`, `/api/show`,
`/api/ps`. Blocking calls through the command table; the routes run them in a thread."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from llamadesk.core.models.library import ListParams, ModelDetails, ModelList, ModelSummary, ReferenceParams
from llamadesk.core.models.llama import RuntimeStatus, StatusParams

from ..errors import ApiError
from ..gateway import RUNNING, InferenceGateway

FOREVER = "2318-11-26T00:00:00Z"  # Ollama's expires_at of a model kept loaded indefinitely


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def parameter_size(count: int) -> str:
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= size:
            return f"{count / size:.1f}".removesuffix(".0") + unit
    return str(count)


def details_of(details: ModelDetails | None) -> dict[str, Any]:
    gguf = details.gguf if details is not None else None
    if gguf is None:
        return {"parent_model": "", "format": "gguf", "family": "", "families": None}
    return {
        "parent_model": "",
        "format": "gguf",
        "family": gguf.architecture,
        "families": [gguf.architecture] if gguf.architecture else None,
        "parameter_size": parameter_size(gguf.parameter_count),
        "quantization_level": gguf.quantization,
    }


def _digest(summary: ModelSummary) -> str:
    return summary.digest.removeprefix("sha256:")


def _show(gateway: InferenceGateway, reference: str) -> ModelDetails | None:
    try:
        return gateway.invoke("models.show", ReferenceParams(reference=reference), ModelDetails)
    except ApiError:
        return None  # a model whose files went missing is still listed


def tags(gateway: InferenceGateway) -> dict[str, Any]:
    listing = gateway.invoke("models.list", ListParams(discover=False), ModelList)
    models = []
    for summary in listing.models:
        models.append(
            {
                "name": summary.reference,
                "model": summary.reference,
                "modified_at": iso(summary.modified),
                "size": summary.size,
                "digest": _digest(summary),
                "details": details_of(_show(gateway, summary.reference)),
            }
        )
    for remote in listing.remote:  # models a backend serves from elsewhere: usable by name
        details = {"parent_model": "", "format": "", "family": "", "families": None}
        models.append(
            {
                "name": remote.id,
                "model": remote.id,
                "modified_at": iso(0),
                "size": 0,
                "digest": "",
                "details": details,
            }
        )
    return {"models": models}


def show(gateway: InferenceGateway, name: str) -> dict[str, Any]:
    reference = gateway.library_reference(name)
    details = _show(gateway, reference) if reference else None
    if details is None:
        raise ApiError(404, f"model '{name}' not found", code="model_not_found")
    gguf = details.gguf
    template = details.template or (gguf.chat_template if gguf else None) or ""
    info: dict[str, Any] = dict(gguf.metadata) if gguf else {}
    if gguf:
        info.setdefault("general.architecture", gguf.architecture)
        info["general.parameter_count"] = gguf.parameter_count
    capabilities = ["completion"]
    if "tools" in template:
        capabilities.append("tools")
    if "think" in template:
        capabilities.append("thinking")
    answer: dict[str, Any] = {
        "modelfile": f"# Modelfile of {details.summary.reference}, as llamadesk stores it\nFROM {details.summary.full_reference}\n",
        "parameters": _parameters(details.params),
        "template": template,
        "details": details_of(details),
        "model_info": info,
        "capabilities": capabilities,
        "modified_at": iso(details.summary.modified),
    }
    if details.license:
        answer["license"] = details.license
    if details.system:
        answer["system"] = details.system
    return answer


def _parameters(params: dict[str, Any] | None) -> str:
    lines = []
    for key, value in (params or {}).items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f'{key:<30} "{item}"' if isinstance(item, str) else f"{key:<30} {item}")
    return "\n".join(lines)


def ps(gateway: InferenceGateway) -> dict[str, Any]:
    status = gateway.invoke("runtime.status", StatusParams(), RuntimeStatus)
    listing = gateway.invoke("models.list", ListParams(discover=False), ModelList)
    by_reference = {summary.reference: summary for summary in listing.models}
    models = []
    for model in status.models:
        if model.state not in RUNNING:
            continue
        summary = by_reference.get(model.id)
        size = model.memory_bytes or 0
        models.append(
            {
                "name": model.id,
                "model": model.id,
                "size": size,
                "digest": _digest(summary) if summary else "",
                "details": details_of(_show(gateway, model.id) if summary else None),
                "expires_at": iso(model.expires_at) if model.expires_at is not None else FOREVER,
                "size_vram": 0 if model.processor in ("CPU", "") else size,
                "context_length": model.context_size or 0,
            }
        )
    return {"models": models}
