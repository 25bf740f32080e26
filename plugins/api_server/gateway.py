"""What the API server asks of the rest of the app, all through the command table.

Model ids a client sends are what `llamadesk` shows everywhere: a loaded model's id, a
library reference (loaded just in time, within the runtime's memory-fit rules), or a
model a backend serves without a file (`models.list`'s `remote`: a remote server's, or
any installed backend plugin's). Listing and resolving are blocking calls; the routes
run them in a thread.
"""

from __future__ import annotations

import base64
import struct
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from llamadesk.core.commands import CommandError, CommandTable
from llamadesk.core.errors import InvalidReference
from llamadesk.core.models.app_config import AppConfig
from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.library import ListParams
from llamadesk.core.models.library import ModelList as LibraryList
from llamadesk.core.models.llama import (
    Embeddings,
    EmbedRequest,
    GenerateRequest,
    KeepAliveParams,
    LoadOptions,
    LoadParams,
    ModelParams,
    ModelState,
    ModelStatus,
    PromptTokens,
    RuntimeStatus,
    SamplingParams,
    StatusParams,
)
from llamadesk.core.models.reference import parse_reference
from llamadesk.lib.openai_api import (
    CompletionRequest,
    EmbeddingItem,
    EmbeddingList,
    EmbeddingRequest,
    ModelCard,
    ModelList,
    UsageOut,
)

from .bridge import CommandBridge
from .errors import ApiError
from .fair_queue import FairModelQueue
from .translate import sampling_for

if TYPE_CHECKING:
    from .flow import Plan

R = TypeVar("R", bound=BaseModel)
RUNNING = (ModelState.LOADING, ModelState.READY, ModelState.GENERATING)


class InferenceGateway:
    generate_command = "runtime.generate"

    def __init__(
        self, commands: CommandTable, queue: FairModelQueue, app_settings: Callable[[], AppConfig]
    ) -> None:
        self.commands = commands
        self.queue = queue
        self._app_settings = app_settings
        self._load_lock = threading.Lock()
        # Read by server.status from another thread; only the event loop writes them.
        self.finished = 0
        self.cancelled = 0
        self._active: set[CommandBridge] = set()
        self._active_lock = threading.Lock()
        self._slots: dict[str, int] = {}  # loaded model -> slots, as the last status said

    def generation_started(self, bridge: CommandBridge) -> None:
        with self._active_lock:
            self._active.add(bridge)

    def cancel_all(self) -> None:
        """Stop every generation of this server (from any thread), e.g. when it stops."""
        with self._active_lock:
            active = list(self._active)
        for bridge in active:
            bridge.cancel()

    def default_sampling(self) -> SamplingParams:
        return self._app_settings().sampling

    def default_load(self) -> LoadOptions:
        return self._app_settings().load

    def slots(self, model: str) -> int:
        """How many of `model`'s generations may run at once (known once it is resolved)."""
        return self._slots.get(model, 1)

    def generation_ended(self, bridge: CommandBridge, model: str, cancelled: bool) -> None:
        """In the event loop, once a generation has really stopped: the next request's turn."""
        with self._active_lock:
            self._active.discard(bridge)
        self.queue.release(model)
        self.finished += 1
        self.cancelled += int(cancelled)

    # --- models ---------------------------------------------------------------------

    def list_models(self) -> ModelList:
        """Loaded models first, then library models, then remote ones; each id once."""
        seen: dict[str, ModelCard] = {}
        for model_id, owner in self._loaded() + self._library():
            seen.setdefault(model_id, ModelCard(id=model_id, owned_by=owner))
        return ModelList(data=list(seen.values()))

    def resolve_model(self, model: str, load: LoadOptions | None = None) -> str:
        """The id to generate with; loads a library model that is not loaded yet (with `load`,
        else the settings' load options).

        A library model answers to its reference as listed (`smollm2:latest`), its full
        reference (`registry.ollama.ai/library/smollm2:latest`), and, as in Ollama, any
        spelling that parses to the same (`smollm2`)."""
        if model in {model_id for model_id, _ in self._loaded()}:
            return model
        known = {model_id for model_id, _ in self._library()}
        if model not in known:
            model = self.library_reference(model) or model
        if model not in known:
            raise ApiError(
                404,
                f"model {model!r} not found; GET /v1/models (or /api/tags) lists the models you can use",
                param="model",
                code="model_not_found",
            )
        with self._load_lock:  # two first requests for one model load it once
            if model not in {model_id for model_id, _ in self._loaded()}:
                self._invoke("runtime.load", LoadParams(model=model, options=load), BaseModel)
                self._loaded()  # learns its slots
        return model

    def unload(self, model: str) -> None:
        """Unload a model by any name a client gives it (nothing when it is not loaded)."""
        loaded = {model_id for model_id, _ in self._loaded()}
        target = model if model in loaded else self.library_reference(model)
        if target is not None and target in loaded:
            self._invoke("runtime.unload", ModelParams(model=target), BaseModel)

    def library_reference(self, model: str) -> str | None:
        """The library's reference for a name as a client spells it, or None."""
        listing = self._invoke("models.list", ListParams(discover=False), LibraryList)
        if model in {m.reference for m in listing.models}:
            return model
        try:
            wanted = parse_reference(model).full
        except InvalidReference:
            return None
        return next((m.reference for m in listing.models if m.full_reference == wanted), None)

    def keep_alive(self, model: str, seconds: float) -> None:
        """Keep `model` loaded this long after its last use (negative: always; 0: unload it)."""
        self._invoke("runtime.keep_alive", KeepAliveParams(model=model, seconds=seconds), ModelStatus)

    def status_of(self, model: str) -> ModelStatus | None:
        status = self._invoke("runtime.status", StatusParams(), RuntimeStatus)
        return next((m for m in status.models if m.id == model), None)

    def prepare(self, model: str, plan: Plan) -> GenerateRequest:
        """Inside the model's turn: reload it with the plan's load options when it has others,
        and bound max_tokens by its context. Returns what to generate (with the plan's
        keep-alive, which the runtime applies once the generation ends)."""
        status = self.status_of(model)
        if plan.load is not None and (status is None or status.options != plan.load):
            with self._load_lock:
                status = self._invoke("runtime.load", LoadParams(model=model, options=plan.load), ModelStatus)
        generate = plan.generate.model_copy(update={"model": model, "keep_alive_s": plan.keep_alive})
        context = status.context_size if status is not None else None
        wanted = generate.sampling.max_tokens
        if context and wanted is not None and wanted > context:
            sampling = generate.sampling.model_copy(update={"max_tokens": context})
            generate = generate.model_copy(update={"sampling": sampling})
        return generate

    def _loaded(self) -> list[tuple[str, str]]:
        """Models loaded (or loading) now; a model in error is listed by its source instead."""
        status = self._invoke("runtime.status", StatusParams(), RuntimeStatus)
        self._slots = {model.id: model.activity.slots for model in status.models if model.activity}
        return [(model.id, "llamadesk") for model in status.models if model.state in RUNNING]

    def _library(self) -> list[tuple[str, str]]:
        """The library's models, then the models backends serve without a file (remote)."""
        listing = self._invoke("models.list", ListParams(discover=False), LibraryList)
        return [(m.reference, "library") for m in listing.models] + [(m.id, "remote") for m in listing.remote]

    def count_prompt(self, generate: GenerateRequest) -> int:
        """Tokens of the prompt `generate` would give the model (template and tools included)."""
        model = self.resolve_model(generate.model)
        request = generate.model_copy(update={"model": model})
        return self._invoke("runtime.count_prompt", request, PromptTokens).prompt_tokens

    # --- completions and embeddings -------------------------------------------------

    def completion_request(self, request: CompletionRequest, prompt: str) -> GenerateRequest:
        """A text completion, sent as one user turn: the runtime generates from chats."""
        return GenerateRequest(
            model=request.model,
            messages=[ChatTurn(role=Role.USER, content=prompt)],
            sampling=sampling_for(request, self.default_sampling()),
            logprobs=request.logprobs,
        )

    def embed_texts(self, model: str, texts: list[str], keep_alive: float | None = None) -> Embeddings:
        """Vectors of `texts` (the model loaded just in time); `keep_alive` is set once they
        are made, so that 0 unloads the model after this request rather than before it."""
        model = self.resolve_model(model)
        vectors = self._invoke("runtime.embed", EmbedRequest(model=model, input=texts), Embeddings)
        if keep_alive is not None:
            self.keep_alive(model, keep_alive)
        return vectors

    def embed(self, request: EmbeddingRequest) -> EmbeddingList:
        texts = [request.input] if isinstance(request.input, str) else request.input
        result = self.embed_texts(request.model, texts)
        tokens = result.prompt_tokens
        return EmbeddingList(
            data=[
                EmbeddingItem(index=i, embedding=_encode(vector, request.encoding_format))
                for i, vector in enumerate(result.vectors)
            ],
            model=request.model,
            usage=UsageOut(prompt_tokens=tokens, total_tokens=tokens),
        )

    # --- plumbing -------------------------------------------------------------------

    def invoke(self, command_id: str, params: BaseModel, result: type[R]) -> R:
        """Run a command; its failure becomes an ApiError."""
        return self._invoke(command_id, params, result)

    def _invoke(self, command_id: str, params: BaseModel, result: type[R]) -> R:
        try:
            answer = self.commands.invoke(command_id, params)
        except CommandError as error:
            raise ApiError.from_command_error(error) from None
        assert isinstance(answer, result)
        return answer


def _encode(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return vector
