"""How much memory a model needs here, against what this machine (and each RPC worker) offers:
what the runtime checks before a load and what Discover and the model details show."""

from __future__ import annotations

from pydantic import Field

from .base import Record
from .phrase import Phrase

# Bytes a KV cache type takes per stored value (q8_0 and q4_0 keep 32 values in a block
# of 34 or 18 bytes).
CACHE_TYPE_BYTES = {"f16": 2.0, "f32": 4.0, "q8_0": 34 / 32, "q4_0": 18 / 32}
KvTypes = tuple[str, str]  # the keys' and the values' cache type
DEFAULT_KV_TYPES: KvTypes = ("q8_0", "f16")  # LoadOptions' defaults (a test checks they agree)

# Using more than this share of the memory that is free leaves the machine sluggish: such a
# fit is `tight`.
TIGHT_SHARE = 0.8


class WorkerShare(Record):
    """What a load puts on another machine (an RPC worker), as its backend plans it."""

    host: str = Field(description="The worker's HOST:PORT.")
    share: float = Field(ge=0.0, le=1.0, description="Its share of the model's weights and KV cache.")
    offered_bytes: int = Field(ge=0, description="Memory the worker offers (free, as it reports it).")


class WorkerFit(Record):
    """Whether a worker's part of the model fits the memory it offers."""

    host: str = Field(description="The worker's HOST:PORT.")
    needed_bytes: int = Field(description="Its share of weights and KV cache, plus compute buffers.")
    offered_bytes: int = Field(description="Memory the worker offers.")
    fits: bool


class MemoryEstimate(Record):
    """RAM a model needs at a context size, against what the machine has free."""

    weights_bytes: int = Field(description="The GGUF's weights (the file size) kept in RAM.")
    kv_cache_bytes: int = Field(
        description="Keys and values for every position of the context (in the load's cache types) "
        "of every slot, kept in RAM."
    )
    overhead_bytes: int = Field(description="Compute buffers and runtime, a rough allowance.")
    total_bytes: int = Field(description="weights + KV cache + overhead: the RAM needed.")
    gpu_bytes: int = Field(
        0, description="Weights and KV cache of the layers a GPU holds in its own memory (not RAM)."
    )
    context_size: int = Field(description="The context size the estimate is for.")
    slots: int = Field(1, description="Conversations at once the estimate is for (a KV cache each).")
    available_bytes: int | None = Field(None, description="Memory the OS reports available now.")
    workers: list[WorkerFit] = Field(
        default_factory=list,
        description="The parts other machines (RPC workers) hold, each against what it offers; the "
        "fields above are this machine's part.",
    )
    fits: bool = Field(True, description="False when total exceeds available, or a worker's part its offer.")
    tight: bool = Field(False, description="Fits, but uses most of what is available.")
    message: str = Field("", description="What to change when it does not fit or is tight.")
    advice: Phrase | None = Field(None, description="The message in parts, for the window to translate.")
