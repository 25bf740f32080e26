"""The runtime's data: the generation contract (GenerateRequest -> events ->
GenerationResult), model states and status. Load and sampling options are in
load_options.py (imported here too, where most code takes them from); memory estimates
are in memory.py.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict, Field, model_validator

from .base import CommandParams, Record
from .chat import ChatTurn
from .load_options import CacheType as CacheType
from .load_options import LoadOptions as LoadOptions
from .load_options import SamplingParams as SamplingParams
from .logprobs import TokenLogprob
from .tools import NamedToolChoice, ToolCall, ToolChoice, ToolDefinition


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
    cached_tokens: int = Field(
        0, description="Of the prompt tokens, those reused from the cache instead of processed."
    )
    completion_tokens: int = 0
    drafted_tokens: int = Field(
        0, description="Tokens guessed ahead (speculative decoding) and checked by the model."
    )
    accepted_tokens: int = Field(0, description="Of the drafted tokens, those the model agreed with.")
    time_to_first_token_ms: float | None = Field(None, description="From request to first token.")
    tokens_per_second: float | None = Field(None, description="Generation speed after the first token.")
    prompt_ms: float | None = None
    generation_ms: float | None = None


class StopReason(StrEnum):
    STOP = "stop"  # end-of-generation token or a stop string
    LENGTH = "length"  # max_tokens or a full context
    CANCELLED = "cancelled"  # the user stopped it; the text so far is kept
    ERROR = "error"
    TOOL_CALLS = "tool_calls"  # the answer ended in tool calls (GenerationResult.tool_calls)


class GenerateRequest(CommandParams):
    """One chat generation: the turns to answer and how to sample."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="Id of a loaded model (see runtime.status).")
    messages: list[ChatTurn]
    prompt: str | None = Field(
        None,
        description="Raw prompt text given to the model as it is, without its chat template "
        "(messages then empty); the model's BOS token is added when it wants one.",
    )
    sampling: SamplingParams = Field(default_factory=SamplingParams)
    logprobs: int | None = Field(
        None,
        ge=0,
        le=20,
        description="Return each generated token's log probability, with this many most likely "
        "alternatives; empty computes none (and costs nothing).",
    )
    reasoning: bool | None = Field(
        None,
        description="Ask the model to reason first (true) or not (false), for chat templates that "
        "read `enable_thinking`; empty leaves it to the template.",
    )
    keep_alive_s: float | None = Field(
        None,
        description="After this generation, keep the model loaded this long (see runtime.keep_alive); "
        "empty leaves its keep-alive as it is.",
    )
    tools: list[ToolDefinition] = Field(default_factory=list, description="Functions the model may call.")
    tool_choice: ToolChoice = Field(
        "auto",
        description="auto: the model decides; none: no calls; required: at least one call; "
        "{name}: a call of that function (required and named are enforced with a grammar).",
    )

    @model_validator(mode="after")
    def _choice_names_a_tool(self) -> GenerateRequest:
        names = [tool.name for tool in self.tools]
        if len(set(names)) != len(names):
            raise ValueError("two tools have the same name")
        if self.tool_choice == "required" and not self.tools:
            raise ValueError("tool_choice 'required' needs at least one tool")
        if isinstance(self.tool_choice, NamedToolChoice) and self.tool_choice.name not in names:
            raise ValueError(f"tool_choice names {self.tool_choice.name!r}, which is not among the tools")
        if self.prompt is not None and (self.messages or self.tools):
            raise ValueError("a raw prompt goes without messages and tools")
        return self


class GenerationResult(Record):
    """Everything one generation produced. Reasoning is kept apart from the answer."""

    model: str
    content: str
    reasoning: str = ""
    stop_reason: StopReason
    usage: Usage = Field(default_factory=Usage)
    tool_calls: list[ToolCall] = Field(default_factory=list, description="Calls the model made, in order.")
    stop_sequence: str | None = Field(None, description="The stop string that ended it, if one did.")
    logprobs: list[TokenLogprob] | None = Field(
        None, description="Each token of the answer (content channel) with its log probability, when asked."
    )


class EmbedRequest(CommandParams):
    """Texts to turn into vectors with a model."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="Id of a loaded model, or a library model (loaded on demand).")
    input: list[str] = Field(min_length=1, description="The texts, each embedded on its own.")


class Embeddings(Record):
    """One vector per input text, in order, each scaled to length 1 (as OpenAI's are)."""

    model: str
    vectors: list[list[float]]
    prompt_tokens: int = Field(0, description="Tokens read across all the inputs.")


class GenerationDoneEvent(Record):
    """The last event of a generation: why it ended, with counts and timings."""

    kind: str = "done"
    stop_reason: StopReason
    usage: Usage
    stop_sequence: str | None = None


class ModelPart(Record):
    """Where one part of a loaded model runs: on this machine, or on another machine's RPC worker."""

    host: str = Field("", description="The RPC worker's HOST:PORT; empty for this machine.")
    device: str = Field(
        description="What runs it: CPU or GPU on this machine; on a worker, the device it offers "
        "(CPU, or its GPU's name)."
    )
    layers: int = Field(description="Layers of the model in this part (the output layer counts as one).")
    memory_bytes: int | None = Field(
        None, description="Weights and KV cache llama.cpp placed there, when it said."
    )

    @property
    def remote(self) -> bool:
        return bool(self.host)

    def label(self) -> str:
        """`this machine (CPU): 11 layers` or `192.168.1.20:50052 (CPU): 10 layers`, for people."""
        where = self.host or "this machine"
        return f"{where} ({self.device}): {self.layers} layers"


class ModelActivity(Record):
    """What a loaded model serves now and has served since it was loaded."""

    slots: int = Field(1, description="Conversations it generates for at once (load option parallel).")
    busy_slots: int = Field(0, description="Slots generating now.")
    waiting: int = Field(0, description="Generations waiting for a free slot.")
    prompt_tokens: int = Field(0, description="Prompt tokens of its generations since it was loaded.")
    cached_tokens: int = Field(
        0, description="Of those, the ones reused from the prompt cache instead of processed."
    )

    drafted_tokens: int = Field(0, description="Tokens drafted ahead (speculative decoding) since loaded.")
    accepted_tokens: int = Field(0, description="Of those, the ones the model agreed with.")

    @property
    def acceptance(self) -> float | None:
        """The share of drafted tokens accepted, None before any draft."""
        return self.accepted_tokens / self.drafted_tokens if self.drafted_tokens else None

    @property
    def cached_share(self) -> float | None:
        """The share of prompt tokens reused, None before any prompt."""
        return self.cached_tokens / self.prompt_tokens if self.prompt_tokens else None


class ModelStatus(Record):
    """A loaded (or failed) model as runtime.status lists it."""

    id: str = Field(description="The reference the model was loaded by.")
    path: str = Field("", description="Where the model was loaded from.")
    backend: str = ""
    state: ModelState
    message: str = Field("", description="Why it is in error, or what it is doing.")
    progress: float | None = Field(None, description="Loading progress from 0 to 1.")
    options: LoadOptions | None = None
    pid: int | None = Field(None, description="The worker process.")
    owner_pid: int | None = Field(None, description="The llamadesk process that loaded the model.")
    memory_bytes: int | None = Field(None, description="Resident memory of the worker process.")
    context_size: int | None = None
    gpu_layers_offloaded: int | None = Field(
        None, description="Layers running on a GPU (0: all on the CPU); empty when unknown."
    )
    layer_count: int | None = Field(None, description="Layers in all, the output layer included.")
    processor: str = Field(
        "",
        description="Where it runs, as `ollama ps` says: CPU, GPU, GPU 12/31, or RPC 20/31 (layers on "
        "other machines, of all).",
    )
    parts: list[ModelPart] = Field(
        default_factory=list,
        description="Where each part of the model runs, this machine first; empty when the backend "
        "cannot tell (a remote server).",
    )
    chat_template: str = Field(
        "", description="Where the chat template came from: gguf, override, or a name."
    )
    warnings: list[str] = Field(default_factory=list)
    loaded_at: float | None = Field(None, description="Unix time the model became ready.")
    last_used: float | None = Field(None, description="Unix time of the last generation.")
    activity: ModelActivity | None = Field(
        None, description="Slots in use, prompt tokens reused; empty when the backend cannot tell."
    )
    keep_alive_s: float | None = Field(
        None,
        description="Seconds it stays loaded after its last use, set for this model "
        "(runtime.keep_alive; negative: always); empty follows idle_unload_minutes.",
    )
    expires_at: float | None = Field(
        None, description="Unix time it will be unloaded if unused until then; empty: never."
    )


# --- runtime.* commands ---------------------------------------------------------------


class LoadParams(CommandParams):
    model: str = Field(description="A GGUF file path, or `starter` for the starter model.")
    options: LoadOptions | None = Field(None, description="How to load it; empty uses the settings' load.")


class ModelParams(CommandParams):
    model: str = Field(description="Id of a loaded model (the reference it was loaded by).")


class UnloadResult(Record):
    model: str
    unloaded: bool = Field(description="False when the model was not loaded.")


class StopResult(Record):
    model: str
    stopped: bool = Field(description="False when nothing was generating.")


class KeepAliveParams(CommandParams):
    model: str = Field(description="Id of a loaded model.")
    seconds: float | None = Field(
        description="Keep it loaded this long after its last use: negative keeps it loaded, 0 "
        "unloads it as soon as it is idle, empty goes back to the idle_unload_minutes setting."
    )


class PromptTokens(Record):
    model: str
    prompt_tokens: int = Field(description="Tokens of the prompt, chat template and tools included.")


class StatusParams(CommandParams):
    all_processes: bool = Field(
        False, description="Also list models other llamadesk processes on this machine have loaded."
    )


class RuntimeStatus(Record):
    models: list[ModelStatus] = Field(description="Loaded models, and models that failed, with state.")
