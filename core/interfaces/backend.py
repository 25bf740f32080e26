"""What an inference backend provides: load a model, then generate with the handle.

A backend is handed to the app by a plugin's `register_backends` hook. The
runtime service asks each backend, in hook order, whether it `can_load` a
location (a GGUF path for the built-in llama.cpp backend; any string the
backend understands, such as a URL for a remote server) and loads it with the
first that says yes. The returned `LoadedModel` is then used from any thread;
the runtime serialises generations per model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from ..models.gguf import GGUFInfo
from ..models.library import RemoteModelInfo
from ..models.llama import Embeddings, GenerateRequest, GenerationResult, LoadOptions, ModelPart
from ..models.memory import WorkerShare
from ..streaming import CancelToken

ProgressCallback = Callable[[float], None]  # loading progress, 0..1
EventCallback = Callable[[BaseModel], None]  # TokenEvent... (ToolCallEvent...), then GenerationDoneEvent
ExitCallback = Callable[[str], None]  # the model died on its own; the argument says why


@runtime_checkable
class LoadedModel(Protocol):
    """A model a backend holds in memory, ready to generate."""

    @property
    def context_size(self) -> int:
        """Tokens the loaded context holds."""

    @property
    def chat_template(self) -> str:
        """Where the chat template came from: `gguf`, `override`, or a named format."""

    @property
    def warnings(self) -> list[str]:
        """Things the user should know about this load (e.g. a fallback chat format)."""

    @property
    def offloaded_layers(self) -> tuple[int, int] | None:
        """(layers on a GPU, layers in all), as llama.cpp counts them (the output layer is one);
        (0, n) runs on the CPU. None when the backend cannot tell (a remote server)."""

    @property
    def parts(self) -> list[ModelPart]:
        """Where each part of the model runs: this machine's part first, then each other machine's
        (an RPC worker's), with their layers; [] when the backend cannot tell (a remote server).
        A backend written before this property existed is treated the same."""

    @property
    def pid(self) -> int | None:
        """The process holding the model, when it has its own."""

    @property
    def alive(self) -> bool:
        """False once the model's process ended or it was closed."""

    def memory_bytes(self) -> int | None:
        """Resident memory used for this model, when known."""

    def generate(
        self, request: GenerateRequest, on_event: EventCallback | None, token: CancelToken | None
    ) -> GenerationResult:
        """Generate an answer, streaming `TokenEvent`s and a final `GenerationDoneEvent`.

        When the request offers `tools` (and `tool_choice` is not `none`), each finished
        tool call is a `ToolCallEvent` (its text is not sent as tokens), the result lists
        them in `tool_calls`, and an answer that ends in calls stops with `tool_calls`.
        A backend that cannot do tools ignores them and answers with text.

        Blocks the calling thread. Cancelling `token` (or `stop()`) ends it
        within 100 ms and returns the text so far with stop reason `cancelled`.
        Raises ModelCrashed if the model dies meanwhile.
        """

    def embed(self, model: str, texts: list[str]) -> Embeddings:
        """One unit-length vector per text, named `model` in the result.

        Raises GenerationFailed when a text is too long or this model cannot
        make embeddings. (A backend written before this method existed is
        treated by the runtime as one that cannot.)
        """

    def count_tokens(self, texts: list[str]) -> list[int] | None:
        """How many tokens each text is for this model, so a chat fills the context exactly;
        None when it cannot tell (a remote server): the chat then estimates (3 characters a
        token). A backend written before this method existed is treated the same."""

    def stop(self) -> None:
        """Stop the generation in progress, if any (keeps its text)."""

    def set_exit_callback(self, callback: ExitCallback) -> None:
        """Call `callback(reason)` if the model ends without `close()` (crash, kill)."""

    def close(self) -> None:
        """Free the model and everything it holds. Safe to call twice."""


@runtime_checkable
class Backend(Protocol):
    """Loads models and generates text. One instance serves many loaded models."""

    name: str

    def can_load(self, location: str, info: GGUFInfo | None) -> bool:
        """True if this backend loads `location` (`info` is its GGUF header, if it is one)."""

    def remote_models(self) -> list[RemoteModelInfo]:
        """Models this backend serves without a file in the library (a remote server's),
        listed by `models.list` beside the library's own; [] for a local backend. Quick:
        called on every listing, so cache what a network call returns."""

    def host_memory_share(self, info: GGUFInfo, options: LoadOptions) -> float:
        """The share (0..1) of the model's weights and KV cache that loading it with
        `options` keeps in the host's RAM; the rest goes to a GPU's own memory. The
        runtime checks that share against available RAM before `load`.

        A backend written before this method existed is taken to keep it all in RAM.
        """

    def worker_shares(self, info: GGUFInfo, options: LoadOptions) -> list[WorkerShare]:
        """The parts of the model that loading it with `options` puts on other machines
        (llama.cpp's RPC workers): each one's share of the weights and KV cache and the memory
        it offers, which the runtime checks with `host_memory_share`'s part before `load`.
        [] when it all stays on this machine (and for a backend written before this method).

        Raises ModelLoadFailed naming a worker that cannot be reached.
        """

    def load(
        self,
        location: str,
        options: LoadOptions,
        on_progress: ProgressCallback | None,
        token: CancelToken | None,
    ) -> LoadedModel:
        """Load and return a handle; blocks until ready.

        Raises ModelLoadFailed with a message for the user when it cannot,
        Cancelled when `token` is cancelled first.
        """
