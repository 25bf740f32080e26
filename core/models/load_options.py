"""How a model is loaded and how it samples: the options a load and a generation request
carry (the runtime's other data is in llama.py)."""

from __future__ import annotations

import sys
from typing import Literal

from pydantic import Field, model_validator

from .base import UserOptions


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
