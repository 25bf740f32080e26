"""Ollama's `options` and `keep_alive`, mapped onto the core's sampling and load options.

Every option Ollama knows is recognised. Those with a counterpart here take effect; those
about hardware details llama.cpp decides itself are accepted and change nothing; those
that would change the output in a way this server cannot (mirostat, tail-free, typical
sampling, another repeat window) are refused unless they have their neutral value. An
unknown option is refused, naming it, rather than silently ignored.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from llamadesk.core.models.llama import LoadOptions, SamplingParams

from ..errors import ApiError

SAMPLING = {
    "temperature": "temperature",
    "top_k": "top_k",
    "top_p": "top_p",
    "min_p": "min_p",
    "repeat_penalty": "repeat_penalty",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "seed": "seed",
    "stop": "stop",
    "num_predict": "max_tokens",
}
LOAD = {
    "num_ctx": "context_size",
    "num_batch": "batch_size",
    "num_gpu": "gpu_layers",
    "num_thread": "threads",
    "use_mmap": "use_mmap",
    "use_mlock": "use_mlock",
}
# Accepted and without effect: llama.cpp (or this server) decides these itself.
NO_EFFECT = {
    "numa", "main_gpu", "low_vram", "f16_kv", "logits_all", "vocab_only", "embedding_only",
    "num_keep", "penalize_newline", "mirostat_tau", "mirostat_eta",
}  # fmt: skip
# Refused unless they have this (neutral) value.
NEUTRAL = {"mirostat": 0, "tfs_z": 1.0, "typical_p": 1.0, "repeat_last_n": 64}

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def sampling_with(options: dict[str, Any] | None, defaults: SamplingParams) -> SamplingParams:
    values: dict[str, Any] = {}
    for key, value in (options or {}).items():
        if key in SAMPLING:
            values[SAMPLING[key]] = value
        elif key in NEUTRAL:
            if value != NEUTRAL[key]:
                raise ApiError(
                    400,
                    f"options.{key}: only {NEUTRAL[key]} is supported by this server",
                    param=f"options.{key}",
                )
        elif key not in LOAD and key not in NO_EFFECT:
            raise ApiError(400, f"options.{key}: not an option Ollama knows", param=f"options.{key}")
    if "max_tokens" in values and (values["max_tokens"] is None or values["max_tokens"] < 0):
        values["max_tokens"] = None  # -1: until the end, -2: until the context is full
    if isinstance(values.get("stop"), str):
        values["stop"] = [values["stop"]]
    sampling: SamplingParams = _validated(SamplingParams, defaults, values)
    return sampling


def load_with(options: dict[str, Any] | None, defaults: LoadOptions) -> LoadOptions | None:
    """Load options the request asks for (on top of the settings' defaults), or None."""
    values = {LOAD[key]: value for key, value in (options or {}).items() if key in LOAD}
    if not values:
        return None
    if values.get("threads") is not None and values["threads"] <= 0:
        values["threads"] = None  # Ollama's 0: pick for me
    load: LoadOptions = _validated(LoadOptions, defaults, values)
    return load


def keep_alive_seconds(value: float | str | None) -> float | None:
    """Seconds from Ollama's keep_alive (a number of seconds, or a Go duration such as
    "5m", "1h30m", "-1"); negative keeps the model loaded. None when not given."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    sign, body = (-1.0, text[1:]) if text.startswith("-") else (1.0, text)
    parts = _DURATION_PART.findall(body)
    if not body or "".join(number + unit for number, unit in parts) != body:
        raise ApiError(400, f"keep_alive: {value!r} is not a duration like 5m, 1h or -1", param="keep_alive")
    return sign * sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _validated(model: type[Any], defaults: Any, values: dict[str, Any]) -> Any:
    reverse = {**{v: k for k, v in SAMPLING.items()}, **{v: k for k, v in LOAD.items()}}
    try:
        return model.model_validate({**defaults.model_dump(), **values})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        param = f"options.{reverse.get(field, field)}"
        raise ApiError(400, f"{param}: {first['msg']}", param=param) from None
