"""The runtime's data: load and sampling options, model states, the generation
contract (GenerateRequest -> events -> GenerationResult), model states and
status; memory estimates are in memory.py.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from .base import CommandParams, Record, UserOptions
from .chat import ChatTurn
from .logprobs import TokenLogprob
from .tools import NamedToolChoice, ToolCall, ToolChoice, ToolDefinition


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


# Read into memory, a model's weights can sit on huge pages, which makes a CPU generate
# faster; that is glibc's doing (lib/huge_pages.py), so only Linux reads by default.
# Elsewhere a mapped file loads sooner, and Apple's GPUs use it in place.
MAP_BY_DEFAULT = not sys.platform.startswith("linux")

# How the KV cache stores keys or values (llama.cpp's names for the ggml types).
CacheType = Literal["f16", "f32", "q8_0", "q4_0"]


class LoadOptions(UserOptions):
    """How a model is loaded into memory."""

    context_size: int = Field(
        4096, ge=256, le=1_048_576, description="Tokens the model can see at once, in each conversation."
    )
    parallel: int | None = Field(
        None,
        ge=1,
        le=64,
        description="Conversations (chats, API requests) the model generates for at once, each in its "
        "own slot with its own KV cache of context_size tokens; more wait for a free slot. Empty picks "
        "up to 4 by the context size and free memory.",
    )
    gpu_layers: int = Field(-1, ge=-1, description="Layers offloaded to the GPU; -1 offloads all, 0 none.")
    threads: int | None = Field(
        None, ge=1, description="CPU threads for generation; empty picks the physical core count."
    )
    batch_size: int = Field(512, ge=1, description="Prompt tokens processed per batch.")
    flash_attention: bool = Field(
        True,
        description="Use flash attention (llama.cpp's own default): generation stays fast as the "
        "conversation grows.",
    )
    use_mmap: bool = Field(
        MAP_BY_DEFAULT,
        description="Map the model file instead of reading it into memory: loads sooner and shares "
        "the file's pages between processes, but on Linux generates 4-7% slower on a CPU (no huge "
        "pages). Off by default on Linux, on elsewhere.",
    )
    use_mlock: bool = Field(False, description="Lock the model in RAM so the OS never swaps it out.")
    seed: int | None = Field(None, description="Seed for the model's random generator.")
    chat_template: str | None = Field(
        None,
        description="Jinja chat template overriding the model's own, or a named format "
        "(chatml, llama3, llama2, gemma, mistral, phi3).",
    )
    reasoning_format: Literal["auto", "none"] = Field(
        "auto", description="auto splits <think>-style blocks into the reasoning channel; none keeps them."
    )
    cache_type_k: CacheType = Field(
        "q8_0",
        title="Key cache type",
        description="How the KV cache stores keys. q8_0 (the default) takes about half f16's memory "
        "and, with values in another type, makes llama.cpp add up attention the same way for one token "
        "as for several: text stays token for token the same with drafting and several conversations "
        "at once, and checking several tokens in one step is faster than with f16.",
    )
    cache_type_v: CacheType = Field(
        "f16",
        title="Value cache type",
        description="How the KV cache stores values: f16 (full), q8_0 (about half the memory) or q4_0 "
        "(about a quarter, at some cost in quality). Without flash attention values stay f16 "
        "(llama.cpp quantizes them only with it).",
    )
    draft: Literal["auto", "lookup", "model", "none"] = Field(
        "auto",
        description="Speculative decoding: guess the next tokens, let the model check them in one step "
        "and keep those it agrees with, so the text is the model's own. lookup guesses from the "
        "conversation so far (an answer that repeats its prompt, code being edited), model from "
        "draft_model. auto uses draft_model when set, else lookup, and neither when the cache types "
        "would let a checked guess change the text at a near-tie (keys and values both f16 or f32, "
        "or flash attention off). Each pauses itself while its guesses do not pay.",
    )
    draft_model: str | None = Field(
        None,
        description="A smaller model with the same vocabulary (a library model or a GGUF path) that "
        "drafts tokens for this one to check: it runs beside it, in the same process.",
    )
    rpc: bool = Field(
        False,
        description="Split the model across other machines: the RPC workers of the llama_cpp.rpc_workers "
        "setting (`llamadesk rpc add`), each running `llamadesk rpc-worker`, hold part of its layers.",
    )
    layer_split: list[float] = Field(
        default_factory=list,
        description="With rpc: shares of the model's layers for this machine and then each RPC worker in "
        "the order listed, like [1, 2, 2] (0 leaves a machine out); empty splits them by free memory.",
    )

    @property
    def value_cache_type(self) -> CacheType:
        """The values' type the model really gets: llama.cpp quantizes them only with flash attention."""
        quantized = self.cache_type_v not in ("f16", "f32")
        return "f16" if quantized and not self.flash_attention else self.cache_type_v

    @property
    def kv_types(self) -> tuple[str, str]:
        """The keys' and values' cache types, as the memory estimate counts them."""
        return self.cache_type_k, self.value_cache_type

    @property
    def batch_invariant(self) -> bool:
        """Whether llama.cpp's CPU attention adds up one token's attention in the same order as
        several tokens' at once (and so gives the same text with drafting and parallel slots):
        its split-KV and tiled paths, which add up in another order, run only with flash
        attention and keys and values both f16 or both f32."""
        full = ("f16", "f32")
        both_full = self.cache_type_k in full and self.cache_type_k == self.value_cache_type
        return self.flash_attention and not both_full

    @model_validator(mode="after")
    def _draft_model_named(self) -> LoadOptions:
        if self.draft == "model" and not self.draft_model:
            raise ValueError("draft 'model' needs a draft_model")
        return self

    @model_validator(mode="after")
    def _split_has_shares(self) -> LoadOptions:
        if any(share < 0 for share in self.layer_split):
            raise ValueError("layer_split shares cannot be negative")
        if self.layer_split and not sum(self.layer_split) > 0:
            raise ValueError("layer_split needs at least one share above 0")
        return self


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
