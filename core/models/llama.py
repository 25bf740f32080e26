"""Loading and sampling options, and the model states the runtime reports.

The runtime issue adds the typed request/event messages spoken with the model
worker process here too.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .base import Record, UserOptions
from .chat import ChatTurn


class SamplingParams(UserOptions):
    """How the next token is chosen; sent with every generation request."""

    temperature: float = Field(0.8, ge=0.0, le=5.0, description="Randomness; 0 is greedy.")
    top_p: float = Field(0.95, gt=0.0, le=1.0, description="Nucleus sampling cut-off.")
    top_k: int = Field(40, ge=0, description="Keep only the k most likely tokens; 0 keeps all.")
    min_p: float = Field(0.05, ge=0.0, le=1.0, description="Drop tokens below this share of the best one.")
    repeat_penalty: float = Field(1.1, ge=0.0, le=5.0, description="Penalty for repeating recent tokens.")
    presence_penalty: float = Field(
        0.0, ge=-2.0, le=2.0, description="Penalty for any token already present."
    )
    frequency_penalty: float = Field(
        0.0, ge=-2.0, le=2.0, description="Penalty growing with a token's count."
    )
    max_tokens: int | None = Field(
        None, ge=1, description="Stop after this many tokens; empty means until the context is full."
    )
    stop: list[str] = Field(default_factory=list, description="Stop when any of these strings appears.")
    seed: int | None = Field(None, description="Random seed for reproducible output; empty picks one.")
    json_schema: dict[str, object] | None = Field(
        None, description="Constrain the output to this JSON schema."
    )
    grammar: str | None = Field(None, description="Constrain the output to this GBNF grammar.")


class LoadOptions(UserOptions):
    """How a model is loaded into memory."""

    context_size: int = Field(4096, ge=256, le=1_048_576, description="Tokens the model can see at once.")
    gpu_layers: int = Field(-1, ge=-1, description="Layers offloaded to the GPU; -1 offloads all, 0 none.")
    threads: int | None = Field(
        None, ge=1, description="CPU threads for generation; empty picks the physical core count."
    )
    batch_size: int = Field(512, ge=1, description="Prompt tokens processed per batch.")
    flash_attention: bool = Field(False, description="Use flash attention where the build supports it.")
    use_mmap: bool = Field(True, description="Map the model file instead of reading it into memory.")
    use_mlock: bool = Field(False, description="Lock the model in RAM so the OS never swaps it out.")
    seed: int | None = Field(None, description="Seed for the model's random generator.")
    chat_template: str | None = Field(None, description="Jinja chat template overriding the model's own.")
    reasoning_format: str = Field("auto", description="How reasoning blocks are split: auto, none.")


class ModelState(StrEnum):
    """Where a loaded model is in its life."""

    STOPPED = "stopped"
    LOADING = "loading"
    READY = "ready"
    GENERATING = "generating"
    ERROR = "error"


class Usage(Record):
    """Counts and timings of one generation, as the final event and result carry them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    time_to_first_token_ms: float | None = Field(None, description="From request to first token.")
    tokens_per_second: float | None = Field(None, description="Generation speed after the first token.")
    prompt_ms: float | None = None
    generation_ms: float | None = None


class StopReason(StrEnum):
    STOP = "stop"  # end-of-generation token or a stop string
    LENGTH = "length"  # max_tokens or a full context
    CANCELLED = "cancelled"  # the user stopped it; the text so far is kept
    ERROR = "error"


class GenerateRequest(Record):
    """One chat generation: the turns to answer and how to sample."""

    model: str = Field(description="Id of a loaded model (see runtime.status).")
    messages: list[ChatTurn]
    sampling: SamplingParams = Field(default_factory=SamplingParams)


class GenerationResult(Record):
    """Everything one generation produced. Reasoning is kept apart from the answer."""

    model: str
    content: str
    reasoning: str = ""
    stop_reason: StopReason
    usage: Usage = Field(default_factory=Usage)
