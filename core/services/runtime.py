"""The runtime: which models are loaded, in what state, and generating with them.

One `RuntimeService` per app (`app.runtime`). It resolves a model reference to a
location (`resolve_model_path`, the one seam the model library plugs into),
checks the memory fit, loads it with the first backend that accepts it, and
keeps its state: loading (with progress), ready, generating, error. A backend
reports a model that died on its own through the handle's exit callback; the
model then shows as `error` with the reason, and `load` brings it back.

What is decided before a load starts (where the model is, its header, its draft model, the
backend, the slots and the memory warning) is runtime_locate.py's; when idle models are
unloaded, idle_watch.py's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import (
    N_,
    Cancelled,
    GenerationFailed,
    LlamadeskError,
    ModelCrashed,
    NotFound,
    Unavailable,
)
from ..interfaces.backend import Backend, LoadedModel
from ..models.app_config import AppConfig
from ..models.commands import ProgressEvent, StateEvent
from ..models.gguf import GGUFInfo
from ..models.library import RemoteModelInfo
from ..models.llama import (
    Embeddings,
    EmbedRequest,
    GenerateRequest,
    GenerationResult,
    LoadOptions,
    ModelState,
    ModelStatus,
)
from ..models.memory import MemoryEstimate
from ..streaming import CancelToken, EventSink
from . import memory_fit, runtime_memory
from .idle_watch import IdleWatch, seconds_until
from .loaded_elsewhere import LoadedElsewhere
from .runtime_entry import ModelEntry, entry_status
from .runtime_locate import STARTER, ModelLocator
from .runtime_locate import resolve_local as resolve_local_file

__all__ = ["STARTER", "RuntimeService"]

log = logging.getLogger(__name__)


class RuntimeService:
    """Loads models, keeps their state, and runs generations on them."""

    def __init__(
        self,
        *,
        settings: Callable[[], AppConfig],
        data_dir: Path,
        cache_dir: Path,
        backends: Callable[[], list[Backend]],
    ) -> None:
        """`settings` gives the current settings (load defaults, idle unload); `backends` the
        installed backends, asked on first use; `data_dir` holds the status files other
        processes read, `cache_dir` the starter model."""
        self._settings = settings
        self._cache_dir = cache_dir
        self._backend_list = backends
        self._entries: dict[str, ModelEntry] = {}
        self._lock = threading.RLock()  # guards _entries and entry fields
        self._model_locks: dict[str, threading.Lock] = {}  # serialise load/unload per id
        self._idle = IdleWatch(self.unload_idle, self._next_idle_check)
        self.last_speed: float | None = None  # tokens/s of the last generation that reported it
        # Seams: the model library replaces resolve_model_path; tests may shrink available_memory.
        self.resolve_model_path: Callable[[str], str] = self.resolve_local
        self.available_memory: Callable[[], int] = memory_fit.available_memory
        self.elsewhere = LoadedElsewhere(data_dir / "run")
        # Through a lambda: the App replaces resolve_model_path after this constructor.
        self._locator = ModelLocator(resolve=lambda model: self.resolve_model_path(model), backends=backends)

    # --- loading ---
    def load(
        self,
        model: str,
        options: LoadOptions | None = None,
        *,
        on_event: EventSink | None = None,
        token: CancelToken | None = None,
    ) -> ModelStatus:
        """Load `model` (a reference) and return its status once ready.

        Already loaded with the same options: returns at once. Loaded with other
        options: reloads. Emits StateEvent (loading, ready) and ProgressEvent.
        Raises NotFound, GGUFError (invalid_model_file), InsufficientMemory,
        ModelLoadFailed, Cancelled.
        """
        options = options or self.default_options(model)
        emit = on_event or (lambda _event: None)
        with self._model_lock(model):
            current = self._entries.get(model)
            if current is not None and current.handle is not None and current.handle.alive:
                if current.options == options:
                    return self.status_of(model)
                self._close_entry(model)
            plan = self._locator.plan(model, options, self.available_memory)
            entry = ModelEntry(id=model, location=plan.location, options=options, backend=plan.backend.name)
            entry.state, entry.progress, entry.warnings = ModelState.LOADING, 0.0, plan.warnings
            with self._lock:
                self._entries[model] = entry
            emit(StateEvent(state=ModelState.LOADING.value, message=f"loading {model}"))
            for warning in plan.warnings:
                emit(StateEvent(state=ModelState.LOADING.value, message=f"warning: {warning}"))

            def progress(value: float) -> None:
                entry.progress = value
                emit(ProgressEvent(done=round(value, 3), total=1.0, message="loading"))

            try:
                handle = plan.backend.load(plan.location, plan.options, progress, token)
            except Cancelled:
                with self._lock:
                    self._entries.pop(model, None)
                raise
            except LlamadeskError as exc:
                self._set_error(entry, exc.message)
                raise
            except Exception as exc:
                self._set_error(entry, f"{type(exc).__name__}: {exc}")
                raise
            handle.set_exit_callback(lambda reason: self._on_exit(model, handle, reason))
            with self._lock:
                entry.handle, entry.state, entry.progress = handle, ModelState.READY, None
                entry.warnings = [*plan.warnings, *handle.warnings]
                entry.loaded_at = entry.last_used = time.time()
            for warning in handle.warnings:
                emit(StateEvent(state=ModelState.READY.value, message=f"warning: {warning}"))
            emit(StateEvent(state=ModelState.READY.value, message=f"{model} is ready"))
            self.elsewhere.publish(self.status_of(model))
        self._idle.start()
        return self.status_of(model)

    def default_options(self, model: str) -> LoadOptions:
        """How `model` loads when nobody says: its own options (`model_load`), else the defaults."""
        settings = self._settings()
        return next((own.options for own in settings.model_load if own.model == model), settings.load)

    def ensure_loaded(self, model: str, *, on_event: EventSink | None = None) -> ModelStatus:
        """The model's status, loading it with the default options first if needed."""
        with self._lock:
            entry = self._entries.get(model)
            if entry is not None and entry.handle is not None and entry.handle.alive:
                return entry_status(entry, self._idle_seconds())
        return self.load(model, on_event=on_event)

    def unload(self, model: str) -> bool:
        """Stop any generation and free the model. False if it was not loaded."""
        with self._model_lock(model):
            return self._close_entry(model)

    # --- generating ---
    def generate(
        self,
        request: GenerateRequest,
        on_event: EventSink | None = None,
        token: CancelToken | None = None,
    ) -> GenerationResult:
        """Generate an answer in the caller's thread, loading the model if needed.

        Events: TokenEvent per piece of text (channel content or reasoning),
        ToolCallEvent per tool call when the request offers tools, then
        GenerationDoneEvent. Cancelling `token` (or `stop(model)`) returns the
        text so far with stop_reason `cancelled` within 100 ms.
        """
        self.ensure_loaded(request.model, on_event=on_event)
        with self._in_use(request.model, keep_alive=request.keep_alive_s) as handle:
            result = handle.generate(request, on_event, token)
        self.last_speed = result.usage.tokens_per_second or self.last_speed  # for system.metrics
        return result

    def embed(self, request: EmbedRequest) -> Embeddings:
        """Vectors for texts, loading the model if needed (see LoadedModel.embed)."""
        self.ensure_loaded(request.model)
        with self._in_use(request.model) as handle:
            embed = getattr(handle, "embed", None)
            if embed is None:
                raise GenerationFailed(
                    N_("{model} cannot make embeddings with its backend"), model=request.model
                )
            result: Embeddings = embed(request.model, request.input)
            return result

    def count_tokens(self, model: str, texts: list[str]) -> list[int] | None:
        """Token counts by the loaded model's own tokenizer; None when it is not loaded or its
        backend cannot count."""
        with self._lock:
            entry = self._entries.get(model)
            handle = entry.handle if entry is not None else None
        count = getattr(handle, "count_tokens", None)
        if count is None:
            return None
        try:
            counts: list[int] | None = count(texts)
        except LlamadeskError as exc:
            log.warning("could not count tokens with %s: %s", model, exc.message)
            return None
        return counts

    def count_prompt(self, request: GenerateRequest) -> int:
        """Tokens of the prompt `request` would give its model (chat template and tools
        included), loading the model if needed."""
        self.ensure_loaded(request.model)
        with self._in_use(request.model) as handle:
            count = getattr(handle, "count_prompt", None)
            if count is None:
                raise GenerationFailed(
                    N_("{model} cannot count prompt tokens with its backend"), model=request.model
                )
            tokens: int = count(request)
            return tokens

    def keep_alive(self, model: str, seconds: float | None) -> ModelStatus:
        """Keep a loaded model this long after its last use (negative: always; 0: unload it as
        soon as it is idle; None: back to the idle_unload_minutes setting)."""
        with self._lock:
            entry = self._entries.get(model)
            if entry is None or entry.handle is None:
                raise NotFound(N_("{model} is not loaded"), model=model)
            entry.keep_alive_s = seconds
        self._idle.wake()
        return self.status_of(model)

    @contextmanager
    def _in_use(self, model: str, keep_alive: float | None = None) -> Iterator[LoadedModel]:
        """The model's handle, marked generating (so idle-unload leaves it) while it is used;
        `keep_alive` becomes its keep-alive once done (see keep_alive)."""
        with self._lock:
            entry = self._entries.get(model) or ModelEntry(id=model)
            handle = entry.handle
            if handle is None:  # unloaded or crashed between loading and here
                if entry.message:  # why it crashed, as the backend said it
                    raise Unavailable(entry.message)
                raise Unavailable(N_("{model} is not loaded"), model=model)
            entry.generating += 1
            entry.state = ModelState.GENERATING
            entry.last_used = time.time()
        try:
            yield handle
        except ModelCrashed as exc:
            self._on_exit(model, handle, exc.message)
            raise
        finally:
            with self._lock:
                entry.generating -= 1
                entry.last_used = time.time()
                if entry.state is ModelState.GENERATING and entry.generating == 0:
                    entry.state = ModelState.READY
                if keep_alive is not None:
                    entry.keep_alive_s = keep_alive
            if entry.keep_alive_s is not None:
                self._idle.wake()  # its own keep-alive may end sooner than the next check

    def stop(self, model_id: str) -> bool:
        """Stop the model's generation in progress; True if one was running."""
        with self._lock:
            entry = self._entries.get(model_id)
            if entry is None or entry.handle is None or entry.generating == 0:
                return False
            handle = entry.handle
        handle.stop()
        return True

    # --- state ---
    def status(self) -> list[ModelStatus]:
        """Every model the runtime knows: loading, ready, generating, or in error."""
        with self._lock:
            entries = list(self._entries.values())
        idle = self._idle_seconds()
        return [entry_status(entry, idle) for entry in entries]

    def status_everywhere(self) -> list[ModelStatus]:
        """This process's models, then those other llamadesk processes on this machine hold."""
        return [*self.status(), *self.elsewhere.others()]

    def status_of(self, model: str) -> ModelStatus:
        """One model's status; `stopped` when it is not loaded."""
        with self._lock:
            entry = self._entries.get(model)
        if entry is None:
            return ModelStatus(id=model, state=ModelState.STOPPED)
        return entry_status(entry, self._idle_seconds())

    def unload_idle(self, now: float | None = None) -> list[str]:
        """Unload ready models unused for their keep-alive (runtime.keep_alive), else for
        `idle_unload_minutes`; returns their ids."""
        now = now if now is not None else time.time()
        idle_s = self._idle_seconds()
        with self._lock:
            idle = [
                e.id
                for e in self._entries.values()
                if e.state is ModelState.READY
                and (expires := e.expires_at(idle_s)) is not None
                and expires <= now
            ]
        for model in idle:
            log.info("unloading %s: idle for its keep-alive", model)
            self.unload(model)
        return idle

    def _idle_seconds(self) -> float | None:
        minutes = self._settings().idle_unload_minutes
        return minutes * 60.0 if minutes else None

    def _next_idle_check(self) -> float:
        """Seconds until the earliest keep-alive ends (see idle_watch.seconds_until)."""
        idle_s, now = self._idle_seconds(), time.time()
        with self._lock:
            ends = [e.expires_at(idle_s) for e in self._entries.values() if e.state is ModelState.READY]
        return seconds_until(ends, now)

    def close(self) -> None:
        """Unload everything and stop the worker processes (called by App.close)."""
        self._idle.close()
        with self._lock:
            models = list(self._entries)
        for model in models:
            try:
                self.unload(model)
            except Exception:
                log.exception("unloading %s failed", model)

    # --- locating, backends, estimates (runtime_locate.py) ---
    def resolve_local(self, model: str) -> str:
        """`starter`, or the path of an existing GGUF file; NotFound otherwise."""
        return resolve_local_file(model, self._cache_dir)

    def estimate_memory(self, info: GGUFInfo, context_size: int | None = None) -> MemoryEstimate:
        """What loading `info` with the default load options (at `context_size` when given)
        needs at the least, counting only what the backend that would load it keeps in RAM,
        and whether that fits now."""
        options = self._settings().load
        if context_size is not None:
            options = options.model_copy(update={"context_size": context_size})
        backend = self._locator.first_backend(info.path, info)
        return runtime_memory.planned(info, options, backend, self.available_memory())

    def remote_models(self) -> list[RemoteModelInfo]:
        """Models the backends serve without a library file (remote servers). A backend
        that fails here is logged and skipped: a listing never breaks on one remote."""
        found: list[RemoteModelInfo] = []
        for backend in self._backend_list():
            try:
                found += backend.remote_models()
            except Exception:
                log.exception("backend %s could not list its models", backend.name)
        return found

    # --- internals ---
    def _model_lock(self, model: str) -> threading.Lock:
        with self._lock:
            return self._model_locks.setdefault(model, threading.Lock())

    def _close_entry(self, model: str) -> bool:
        with self._lock:
            entry = self._entries.pop(model, None)
        if entry is None:
            return False
        self.elsewhere.withdraw(model)
        if entry.handle is not None:
            entry.handle.close()
        return True

    def _set_error(self, entry: ModelEntry, message: str) -> None:
        with self._lock:
            entry.state, entry.message, entry.progress = ModelState.ERROR, message, None

    def _on_exit(self, model: str, handle: LoadedModel, reason: str) -> None:
        with self._lock:
            entry = self._entries.get(model)
            if entry is None or entry.handle is not handle:
                return  # unloaded or replaced meanwhile
            entry.handle = None
            entry.state, entry.message = ModelState.ERROR, reason
        self.elsewhere.withdraw(model)
        log.warning("model %s: %s", model, reason)
