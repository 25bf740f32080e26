"""The typed messages spoken between the main process and a model worker process.

They cross a multiprocessing pipe pickled; the per-token ones are built with
model_construct() on the worker side, since they are made by trusted code.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from llamadesk.core.models.base import Record
from llamadesk.core.models.chat import ChatTurn
from llamadesk.core.models.llama import ModelPart, SamplingParams, StopReason, Usage
from llamadesk.core.models.phrase import Phrase
from llamadesk.core.models.tools import ToolCall, ToolChoice, ToolDefinition

Alternative = tuple[str, list[int], float]  # text, bytes, logprob
ScoredToken = tuple[str, list[int], float, list[Alternative]]


class WorkerGenerate(Record):
    """Main -> worker: generate an answer to these turns."""

    job_id: int
    slot: int = 0  # which of the shared stop flags is this job's
    messages: list[ChatTurn]
    sampling: SamplingParams
    tools: list[ToolDefinition] = Field(default_factory=list)
    tool_choice: ToolChoice = "auto"
    prompt: str | None = None  # raw prompt text instead of messages
    logprobs: int | None = None  # alternatives per token; None: compute no logprobs
    reasoning: bool | None = None  # the template's enable_thinking, when set


class WorkerCountPrompt(Record):
    """Main -> worker: how many tokens the prompt of this generation would be (WorkerTokenCounts)."""

    job_id: int
    messages: list[ChatTurn]
    tools: list[ToolDefinition] = Field(default_factory=list)
    tool_choice: ToolChoice = "auto"
    prompt: str | None = None
    reasoning: bool | None = None


class WorkerEmbed(Record):
    """Main -> worker: embed these texts (answered by WorkerEmbeddings or WorkerJobFailed)."""

    job_id: int
    texts: list[str]


class WorkerEmbeddings(Record):
    """Worker -> main: the vectors of a WorkerEmbed, in order."""

    job_id: int
    vectors: list[list[float]]
    prompt_tokens: int


class WorkerCountTokens(Record):
    """Main -> worker: how many tokens each text is (answered by WorkerTokenCounts)."""

    job_id: int
    texts: list[str]


class WorkerTokenCounts(Record):
    """Worker -> main: the counts of a WorkerCountTokens, in order."""

    job_id: int
    counts: list[int]


class WorkerRpcLaunch(Record):
    """Main -> worker, at start (not over the pipe): load the model across these RPC workers,
    split as planned in the main process (rpc_cluster.py)."""

    endpoints: list[str]
    n_gpu_layers: int = Field(description="Layers offloaded to the workers' devices (the rest stay here).")
    tensor_split: list[float] = Field(description="One share per device of the workers, in order.")


class WorkerPromptCache(Record):
    """Where a worker keeps conversations' KV states (prompt_store.py), and how much of them."""

    folder: str
    max_bytes: int = Field(ge=1)


class WorkerCancel(Record):
    """Main -> worker: stop this job. The stop flag is the quick way; this message makes sure
    once the handle gave up waiting and the flag's slot may be reused."""

    job_id: int


class WorkerShutdown(Record):
    """Main -> worker: free the model and exit."""


class WorkerLoadProgress(Record):
    """Worker -> main: model loading advanced (0..1)."""

    progress: float


class WorkerReady(Record):
    """Worker -> main: the model is loaded and waits for requests."""

    context_size: int = Field(description="Tokens one conversation may hold (each slot's context).")
    slots: int = Field(1, description="Sequences generated for at once.")
    chat_template: str = Field(description="gguf, override, or the fallback format's name.")
    warnings: list[str] = Field(default_factory=list)
    gpu_layers_offloaded: int = 0
    layer_count: int = 0
    parts: list[ModelPart] = Field(default_factory=list, description="Where llama.cpp put the layers.")


class WorkerLoadFailed(Record):
    """Worker -> main: the model could not be loaded; the worker exits."""

    message: str


class WorkerTokens(Record):
    """Worker -> main: generated text, as (channel, text) pieces in order, one per token.

    Several pieces when tokens came faster than the worker sends (plugins/llama_cpp/
    token_sender.py): each message wakes the app's threads, which costs the model's."""

    job_id: int
    pieces: list[tuple[str, str]]
    # Only when the request asked: per piece, its tokens as (text, bytes, logprob,
    # [(text, bytes, logprob) of the top alternatives]).
    logprobs: list[list[ScoredToken]] | None = None


class WorkerMessages(Record):
    """Worker -> main: what one step of the batch loop sent, in order, in one write.

    With several slots generating, each would otherwise send its own message every
    step, and each message wakes the app's reading thread (worker_loop.py)."""

    messages: list[Any]


class WorkerToolCall(Record):
    """Worker -> main: the model finished a tool call (its text was not sent as tokens)."""

    job_id: int
    call: ToolCall


class WorkerDone(Record):
    """Worker -> main: a generation ended (also after a cancel)."""

    job_id: int
    stop_reason: StopReason
    usage: Usage
    stop_sequence: str | None = None


class WorkerJobFailed(Record):
    """Worker -> main: a generation failed; the worker stays usable."""

    job_id: int
    message: str
    phrase: Phrase | None = None  # the message in parts, for the window to translate
