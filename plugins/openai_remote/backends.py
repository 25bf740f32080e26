"""The two backends this plugin gives the runtime (`core/interfaces/backend.py`).

- `RemoteBackend` takes @REMOTE/MODEL ids: "loading" one checks that its server
  answers; the server holds the weights.
- `LlamaServerBackend` takes local GGUFs once `llama_server.binary` is set: one
  llama-server process per loaded model.

Both hand back a `ServedModel`, which generates through `OpenAIClient.chat`, so
streaming, stop, usage and timings behave the same for both.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

import psutil

from llamadesk.core.errors import N_, GenerationFailed, LlamadeskError, ModelLoadFailed
from llamadesk.core.interfaces.backend import EventCallback, ExitCallback, ProgressCallback
from llamadesk.core.models.gguf import GGUFInfo
from llamadesk.core.models.library import RemoteModelInfo
from llamadesk.core.models.llama import (
    Embeddings,
    GenerateRequest,
    GenerationDoneEvent,
    GenerationResult,
    LoadOptions,
    ModelPart,
)
from llamadesk.core.models.memory import WorkerShare
from llamadesk.core.streaming import CancelToken
from llamadesk.lib.reasoning import ReasoningSplitter

from .client import OpenAIClient
from .directory import RemoteDirectory
from .llama_server import LlamaServerProcess
from .settings import LlamaServerOptions


class ServedModel:
    """A model another server runs (implements `LoadedModel`). Generations may overlap:
    the server has its own queue or slots; `stop()` stops them all."""

    def __init__(
        self,
        client: OpenAIClient,
        remote_model: str,
        options: LoadOptions,
        *,
        template: str,
        process: LlamaServerProcess | None = None,
    ) -> None:
        self.client = client
        self.remote_model = remote_model
        self.options = options
        self.process = process
        self._template = template
        self._active: set[CancelToken] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._on_exit: ExitCallback | None = None

    @property
    def context_size(self) -> int:
        return self.options.context_size if self.process else 0  # a remote's is its own business

    @property
    def chat_template(self) -> str:
        return self._template

    @property
    def warnings(self) -> list[str]:
        return []

    @property
    def offloaded_layers(self) -> tuple[int, int] | None:
        return None  # the server's own business

    @property
    def parts(self) -> list[ModelPart]:
        return []  # likewise

    @property
    def pid(self) -> int | None:
        return self.process.process.pid if self.process else None

    @property
    def alive(self) -> bool:
        return not self._closed and (self.process is None or self.process.running)

    def memory_bytes(self) -> int | None:
        if self.process is None:
            return None
        try:
            return int(psutil.Process(self.process.process.pid).memory_info().rss)
        except psutil.Error:
            return None

    def generate(
        self, request: GenerateRequest, on_event: EventCallback | None, token: CancelToken | None
    ) -> GenerationResult:
        if request.prompt is not None or request.logprobs is not None:
            # Refused rather than answered without: chat completions have no raw prompt, and
            # the server's logprobs are not passed through (yet).
            raise GenerationFailed(N_("a remote model takes chat turns only, without logprobs"))
        own = CancelToken()  # cancelled by the caller's token or by stop()
        unlink = token.on_cancel(own.cancel) if token else (lambda: None)
        with self._lock:
            self._active.add(own)
        emit = on_event or (lambda _event: None)
        splitter = ReasoningSplitter(enabled=self.options.reasoning_format != "none")
        try:
            result = self.client.chat(request, self.remote_model, emit, own, splitter)
        finally:
            unlink()
            with self._lock:
                self._active.discard(own)
        emit(GenerationDoneEvent(stop_reason=result.stop_reason, usage=result.usage))
        return result

    def embed(self, model: str, texts: list[str]) -> Embeddings:
        vectors, tokens = self.client.embed(self.remote_model, texts)
        return Embeddings(model=model, vectors=vectors, prompt_tokens=tokens)

    def count_tokens(self, texts: list[str]) -> list[int] | None:
        return None  # the server's tokenizer is not reachable through OpenAI's API

    def stop(self) -> None:
        with self._lock:
            active = list(self._active)
        for token in active:
            token.cancel()

    def set_exit_callback(self, callback: ExitCallback) -> None:
        self._on_exit = callback
        if self.process is not None:
            threading.Thread(target=self._watch_process, name="llama-server-watch", daemon=True).start()

    def _watch_process(self) -> None:
        assert self.process is not None
        code = self.process.process.wait()
        if not self._closed and self._on_exit is not None:
            tail = self.process.log_tail(5)
            self._on_exit(f"llama-server exited on its own (code {code}); load the model again.\n{tail}")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.stop()
        if self.process is not None:
            self.process.stop()


class RemoteBackend:
    name = "openai_remote"

    def __init__(self, directory: RemoteDirectory) -> None:
        self.directory = directory

    def can_load(self, location: str, info: GGUFInfo | None) -> bool:
        return self.directory.find(location) is not None

    def host_memory_share(self, info: GGUFInfo, options: LoadOptions) -> float:
        return 0.0  # the server holds the model

    def worker_shares(self, info: GGUFInfo, options: LoadOptions) -> list[WorkerShare]:
        return []

    def remote_models(self) -> list[RemoteModelInfo]:
        models, _unreachable = self.directory.all_models()  # cached; remote.models reports failures
        return [
            RemoteModelInfo(id=m.id, backend=self.name, where=self.directory.get(m.remote).base_url)
            for m in models
        ]

    def load(
        self,
        location: str,
        options: LoadOptions,
        on_progress: ProgressCallback | None,
        token: CancelToken | None,
    ) -> ServedModel:
        found = self.directory.find(location)
        if found is None:
            raise ModelLoadFailed(
                N_("{location!r} is not a model of a saved remote; see `llamadesk remote models`"),
                location=location,
            )
        client = self.directory.client(found.remote)
        try:
            served = {model.remote_model for model in self.directory.models_of(found.remote, fresh=True)}
        except LlamadeskError as exc:
            raise ModelLoadFailed.recast(exc) from None
        if found.remote_model not in served:
            raise ModelLoadFailed(
                N_("remote {remote!r} has no model {remote_model!r}; it serves: {served}"),
                remote=found.remote,
                remote_model=found.remote_model,
                served=", ".join(sorted(served)),
            )
        if on_progress:
            on_progress(1.0)
        return ServedModel(client, found.remote_model, options, template="remote")


class LlamaServerBackend:
    name = "llama_server"

    def __init__(self, options: Callable[[], LlamaServerOptions], logs_dir: Path) -> None:
        self.options = options  # the current settings: a binary set takes every local GGUF
        self.logs_dir = logs_dir

    def can_load(self, location: str, info: GGUFInfo | None) -> bool:
        return info is not None and self.options().binary is not None

    def remote_models(self) -> list[RemoteModelInfo]:
        return []  # it runs the library's files

    def host_memory_share(self, info: GGUFInfo, options: LoadOptions) -> float:
        return 1.0  # its GPU layers are the user's build's business: counted as RAM, to be safe

    def worker_shares(self, info: GGUFInfo, options: LoadOptions) -> list[WorkerShare]:
        return []  # llama-server's own --rpc can go in llama_server.extra_args

    def load(
        self,
        location: str,
        options: LoadOptions,
        on_progress: ProgressCallback | None,
        token: CancelToken | None,
    ) -> ServedModel:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(location).stem) or "model"
        process = LlamaServerProcess(
            self.options(),
            Path(location),
            options,
            self.logs_dir / f"llama-server-{name}.log",
            token=token,
        )
        if on_progress:
            on_progress(1.0)
        return ServedModel(process.client, "default", options, template="llama-server", process=process)
