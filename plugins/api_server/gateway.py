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
from typing import TypeVar

from pydantic import BaseModel

from llamadesk.core.commands import CommandError, CommandTable
from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.library import ListParams
from llamadesk.core.models.library import ModelList as LibraryList
from llamadesk.core.models.llama import (
    Embeddings,
    EmbedRequest,
    GenerateRequest,
    LoadParams,
    ModelState,
    RuntimeStatus,
    SamplingParams,
    StatusParams,
)
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

R = TypeVar("R", bound=BaseModel)
RUNNING = (ModelState.LOADING, ModelState.READY, ModelState.GENERATING)


class InferenceGateway:
    generate_command = "runtime.generate"

    def __init__(
        self, commands: CommandTable, queue: FairModelQueue, default_sampling: Callable[[], SamplingParams]
    ) -> None:
        self.commands = commands
        self.queue = queue
        self._default_sampling = default_sampling
        self._load_lock = threading.Lock()
        # Read by server.status from another thread; only the event loop writes them.
        self.finished = 0
        self.cancelled = 0
        self._active: set[CommandBridge] = set()
        self._active_lock = threading.Lock()

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
        return self._default_sampling()

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

    def resolve_model(self, model: str) -> str:
        """The id to generate with; loads a library model that is not loaded yet."""
        if model in {model_id for model_id, _ in self._loaded()}:
            return model
        known = {model_id for model_id, _ in self._library()}
        if model not in known and f"{model}:latest" in known:
            model = f"{model}:latest"  # as in Ollama, a library model's tag may be left out
        if model not in known:
            raise ApiError(
                404,
                f"The model {model!r} does not exist; GET /v1/models lists the models you can use.",
                param="model",
                code="model_not_found",
            )
        with self._load_lock:  # two first requests for one model load it once
            if model not in {model_id for model_id, _ in self._loaded()}:
                self._invoke("runtime.load", LoadParams(model=model), BaseModel)
        return model

    def _loaded(self) -> list[tuple[str, str]]:
        """Models loaded (or loading) now; a model in error is listed by its source instead."""
        status = self._invoke("runtime.status", StatusParams(), RuntimeStatus)
        return [(model.id, "llamadesk") for model in status.models if model.state in RUNNING]

    def _library(self) -> list[tuple[str, str]]:
        """The library's models, then the models backends serve without a file (remote)."""
        listing = self._invoke("models.list", ListParams(discover=False), LibraryList)
        return [(m.reference, "library") for m in listing.models] + [(m.id, "remote") for m in listing.remote]

    # --- completions and embeddings -------------------------------------------------

    def completion_request(self, request: CompletionRequest, prompt: str) -> GenerateRequest:
        """A text completion, sent as one user turn: the runtime generates from chats."""
        return GenerateRequest(
            model=request.model,
            messages=[ChatTurn(role=Role.USER, content=prompt)],
            sampling=sampling_for(request, self.default_sampling()),
        )

    def embed(self, request: EmbeddingRequest) -> EmbeddingList:
        model = self.resolve_model(request.model)
        texts = [request.input] if isinstance(request.input, str) else request.input
        result = self._invoke("runtime.embed", EmbedRequest(model=model, input=texts), Embeddings)
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
