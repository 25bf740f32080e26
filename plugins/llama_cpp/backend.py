"""The llama.cpp backend, main-process side: start workers, and speak to them.

`LlamaCppBackend.load()` spawns one worker process per model and waits for it to
be ready; `WorkerModel` is the handle the runtime keeps. Generation runs in the
caller's thread, reading the worker's events straight off the pipe (no relay
thread: one hop less per token). A stop writes the job id into a shared integer
the worker checks between tokens; if the worker does not confirm within
STOP_GRACE_S (it may be inside a long llama_decode), the handle returns what it
has anyway and drops that job's late events.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, TypeVar

import psutil

from llamadesk.core.errors import Cancelled, GenerationFailed, ModelCrashed, ModelLoadFailed
from llamadesk.core.gguf import is_gguf, read_gguf
from llamadesk.core.interfaces.backend import EventCallback, ExitCallback, ProgressCallback
from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.gguf import GGUFInfo
from llamadesk.core.models.library import RemoteModelInfo
from llamadesk.core.models.llama import (
    Embeddings,
    GenerateRequest,
    GenerationDoneEvent,
    GenerationResult,
    LoadOptions,
    ModelPart,
    StopReason,
    Usage,
    WorkerShare,
)
from llamadesk.core.models.logprobs import TokenChoice, TokenLogprob
from llamadesk.core.models.tools import ToolCall
from llamadesk.core.streaming import CancelToken
from llamadesk.lib.huge_pages import allow_huge_pages_in_children

from .gpu_build import can_offload, host_share
from .messages import (
    ScoredToken,
    WorkerCountPrompt,
    WorkerCountTokens,
    WorkerDone,
    WorkerEmbed,
    WorkerEmbeddings,
    WorkerGenerate,
    WorkerJobFailed,
    WorkerLoadFailed,
    WorkerLoadProgress,
    WorkerReady,
    WorkerRpcLaunch,
    WorkerShutdown,
    WorkerTokenCounts,
    WorkerTokens,
    WorkerToolCall,
)
from .rpc_cluster import RpcCluster, RpcPlan
from .rpc_probe import PROBE_TIMEOUT_S, accepts_connections
from .worker import worker_main

Reply = TypeVar("Reply")
STOP_GRACE_S = 0.07  # a stop returns within this even if the worker is busy
POLL_S = 0.1  # how often a loading caller checks that the worker still lives
# While generating, how often the caller looks at the stop flag when no token comes
# (a long prompt, a slow model): bounds stop latency at POLL_GENERATING_S + STOP_GRACE_S.
POLL_GENERATING_S = 0.01
SHUTDOWN_S = 3.0  # a worker that does not exit after this is killed
ABORT_MESSAGE_BYTES = 1024  # what a model worker keeps of ggml's last words (an RPC worker gone)


def describe_exit(name: str, exitcode: int | None) -> str:
    """A sentence saying how a worker ended, for the model's error state."""
    if exitcode is None:
        return f"the worker for {name} stopped responding"
    if exitcode < 0:
        sig = -exitcode
        if sig == signal.SIGKILL:
            return (
                f"the worker for {name} was killed (SIGKILL), often because the system ran out "
                "of memory; load it again, perhaps with a smaller context size"
            )
        if sig == signal.SIGSEGV:
            return f"the worker for {name} crashed (segmentation fault in llama.cpp); load it again"
        return f"the worker for {name} ended on signal {signal.Signals(sig).name}; load it again"
    return f"the worker for {name} exited unexpectedly (code {exitcode}); load it again"


def describe_rpc_exit(name: str, endpoints: list[str], abort_message: bytes) -> str | None:
    """Why a model split across RPC workers stopped, naming the worker that went away; None
    when every worker still answers and ggml said nothing (then it was not the network)."""
    for endpoint in endpoints:
        problem = accepts_connections(endpoint)
        if problem is not None:
            return (
                f"RPC worker {endpoint} went away ({problem}), so {name} stopped; load it again once "
                "the worker is back, or without rpc if it fits on this machine"
            )
    if abort_message:
        reason = abort_message.decode("utf-8", errors="replace").split(": ", 1)[-1].strip()
        return f"{name} stopped: llama.cpp's RPC failed ({reason}); load it again"
    return None


class WorkerModel:
    """A model loaded in its own worker process (implements `LoadedModel`)."""

    def __init__(
        self,
        name: str,
        process: Any,
        conn: Connection,
        cancel_flag: Any,
        ready: WorkerReady,
        plan: RpcPlan | None = None,
        abort_message: Any = None,
    ) -> None:
        self.name = name
        self._plan = plan
        self._abort_message = abort_message
        self._process = process
        self._conn = conn
        self._readable = readable_check(conn)
        self._cancel_flag = cancel_flag
        self._ready = ready
        self._lock = threading.Lock()  # one generation at a time
        self._jobs = itertools.count(1)
        self._job = 0
        self._closing = False
        self._exit_callback: ExitCallback | None = None
        self._exited = threading.Event()  # set by the watcher, the only thread that reaps
        self._exitcode: int | None = None
        self._exit_reason = ""  # set by the watcher, with the exit code
        self._ps = psutil.Process(process.pid)
        threading.Thread(target=self._watch, name=f"watch-{name}", daemon=True).start()

    # --- LoadedModel ---
    @property
    def context_size(self) -> int:
        return self._ready.context_size

    @property
    def chat_template(self) -> str:
        return self._ready.chat_template

    @property
    def offloaded_layers(self) -> tuple[int, int] | None:
        return self._ready.gpu_layers_offloaded, self._ready.layer_count

    @property
    def parts(self) -> list[ModelPart]:
        if self._ready.parts or self._plan is None:
            return list(self._ready.parts)
        return self._plan.parts()

    @property
    def warnings(self) -> list[str]:
        return list(self._ready.warnings)

    @property
    def pid(self) -> int | None:
        return int(self._process.pid)

    @property
    def alive(self) -> bool:
        return not self._closing and not self._exited.is_set()

    def memory_bytes(self) -> int | None:
        try:
            return int(self._ps.memory_info().rss)
        except psutil.Error:
            return None

    def set_exit_callback(self, callback: ExitCallback) -> None:
        self._exit_callback = callback

    def stop(self) -> None:
        self._cancel_flag.value = self._job

    def close(self) -> None:
        if self._closing:
            return
        self.stop()  # a generation in progress returns its text as cancelled first
        acquired = self._lock.acquire(timeout=1.0)
        self._closing = True
        try:
            self._shutdown()
        finally:
            if acquired:
                self._lock.release()

    def _shutdown(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(WorkerShutdown())
        if not self._exited.wait(SHUTDOWN_S):
            self._process.kill()
            self._exited.wait(SHUTDOWN_S)
        self._conn.close()

    def generate(
        self, request: GenerateRequest, on_event: EventCallback | None, token: CancelToken | None
    ) -> GenerationResult:
        with self._lock:
            if not self.alive:
                raise self._crashed()
            self._job = next(self._jobs)
            unsubscribe = token.on_cancel(self.stop) if token is not None else None
            try:
                return self._run(request, self._job, on_event)
            finally:
                if unsubscribe is not None:
                    unsubscribe()

    def embed(self, model: str, texts: list[str]) -> Embeddings:
        reply = self._ask(lambda job: WorkerEmbed(job_id=job, texts=texts), WorkerEmbeddings)
        return Embeddings(model=model, vectors=reply.vectors, prompt_tokens=reply.prompt_tokens)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self._ask(lambda job: WorkerCountTokens(job_id=job, texts=texts), WorkerTokenCounts).counts

    def count_prompt(self, request: GenerateRequest) -> int:
        def make(job: int) -> WorkerCountPrompt:
            return WorkerCountPrompt(
                job_id=job,
                messages=request.messages,
                tools=request.tools,
                tool_choice=request.tool_choice,
                prompt=request.prompt,
                reasoning=request.reasoning,
            )

        return self._ask(make, WorkerTokenCounts).counts[0]

    def _ask(self, make: Callable[[int], Any], reply_type: type[Reply]) -> Reply:
        """Send one request (not a generation) and wait for its reply, between generations."""
        with self._lock:
            if not self.alive:
                raise self._crashed()
            self._job = job = next(self._jobs)
            self._send(make(job))
            while True:
                message = self._next_message(job, POLL_S)
                if isinstance(message, reply_type):
                    return message
                if isinstance(message, WorkerJobFailed):
                    raise GenerationFailed(message.message)

    def _run(self, request: GenerateRequest, job: int, on_event: EventCallback | None) -> GenerationResult:
        started = time.perf_counter()
        self._send(
            WorkerGenerate(
                job_id=job,
                messages=request.messages,
                sampling=request.sampling,
                tools=request.tools,
                tool_choice=request.tool_choice,
                prompt=request.prompt,
                logprobs=request.logprobs,
                reasoning=request.reasoning,
            )
        )
        content: list[str] = []
        scored: list[TokenLogprob] | None = [] if request.logprobs is not None else None
        reasoning: list[str] = []
        calls: list[ToolCall] = []
        first_at: float | None = None
        count = 0
        flag = self._cancel_flag
        stop_seen_at: float | None = None
        while True:
            if flag.value == job and stop_seen_at is None:
                stop_seen_at = time.perf_counter()
            if stop_seen_at is not None:
                left = STOP_GRACE_S - (time.perf_counter() - stop_seen_at)
                if left <= 0:  # the worker is busy; keep what arrived, drop the rest
                    usage = Usage(completion_tokens=count, time_to_first_token_ms=_ms(started, first_at))
                    reason = StopReason.CANCELLED
                    return self._finish(request, content, reasoning, calls, reason, usage, on_event, scored)
                timeout = min(left, POLL_GENERATING_S)
            else:
                timeout = POLL_GENERATING_S
            message = self._next_message(job, timeout)
            if message is None:
                continue
            if type(message) is WorkerTokens:
                if first_at is None:
                    first_at = time.perf_counter()
                if message.logprobs is not None:  # only a request that asked for them
                    count += self._scored_pieces(message, content, reasoning, scored, on_event)
                    continue
                for channel, text in message.pieces:
                    count += 1
                    (reasoning if channel == "reasoning" else content).append(text)
                    if on_event is not None:
                        on_event(TokenEvent(text=text, channel=channel))
            elif isinstance(message, WorkerToolCall):
                calls.append(message.call)
                if on_event is not None:
                    on_event(ToolCallEvent(index=len(calls) - 1, call=message.call))
            elif isinstance(message, WorkerDone):
                usage = message.usage.model_copy(update={"time_to_first_token_ms": _ms(started, first_at)})
                reason = message.stop_reason
                if flag.value == job and reason not in (StopReason.STOP, StopReason.TOOL_CALLS):
                    reason = StopReason.CANCELLED
                return self._finish(
                    request, content, reasoning, calls, reason, usage, on_event, scored, message.stop_sequence
                )
            elif isinstance(message, WorkerJobFailed):
                raise GenerationFailed(message.message)

    @staticmethod
    def _scored_pieces(
        message: WorkerTokens,
        content: list[str],
        reasoning: list[str],
        scored: list[TokenLogprob] | None,
        on_event: EventCallback | None,
    ) -> int:
        """Pieces that carry their tokens' logprobs; returns how many pieces."""
        assert message.logprobs is not None
        for (channel, text), tokens in zip(message.pieces, message.logprobs, strict=True):
            entries = [_logprob(token) for token in tokens]
            if channel == "reasoning":
                reasoning.append(text)
            else:
                content.append(text)
                if scored is not None:
                    scored += entries
            if on_event is not None:
                on_event(TokenEvent(text=text, channel=channel, logprobs=entries))
        return len(message.pieces)

    def _finish(
        self,
        request: GenerateRequest,
        content: list[str],
        reasoning: list[str],
        calls: list[ToolCall],
        reason: StopReason,
        usage: Usage,
        on_event: EventCallback | None,
        scored: list[TokenLogprob] | None = None,
        stop_sequence: str | None = None,
    ) -> GenerationResult:
        if on_event is not None:
            on_event(GenerationDoneEvent(stop_reason=reason, usage=usage, stop_sequence=stop_sequence))
        return GenerationResult(
            model=request.model,
            content="".join(content),
            reasoning="".join(reasoning).strip(),
            stop_reason=reason,
            usage=usage,
            tool_calls=calls,
            stop_sequence=stop_sequence,
            logprobs=scored,
        )

    def _next_message(self, job: int, timeout: float) -> Any:
        """The worker's next message about `job`, or None if none came within `timeout`.
        Late events of a job that was given up on are dropped."""
        if not self._readable(timeout):
            if self._exited.is_set():
                raise self._crashed()
            return None
        message = self._recv()
        return message if getattr(message, "job_id", job) == job else None

    def _send(self, message: Any) -> None:
        try:
            self._conn.send(message)
        except (OSError, ValueError) as exc:
            raise self._crashed() from exc

    def _recv(self) -> Any:
        try:
            return self._conn.recv()
        except (EOFError, OSError) as exc:
            raise self._crashed() from exc

    def _crashed(self) -> ModelCrashed:
        # The pipe closes a moment before the exit code is known (and, with RPC workers, before
        # each has been asked whether it is still there).
        workers = len(self._plan.workers) if self._plan is not None else 0
        self._exited.wait(SHUTDOWN_S + workers * PROBE_TIMEOUT_S)
        return ModelCrashed(self._exit_reason or describe_exit(self.name, self._exitcode))

    def _watch(self) -> None:
        """Wait for the process to end; if nobody asked it to, report why."""
        wait([self._process.sentinel])
        self._process.join()
        self._exitcode = self._process.exitcode
        self._exit_reason = self._describe_exit()
        self._exited.set()
        if not self._closing and self._exit_callback is not None:
            self._exit_callback(self._exit_reason)

    def _describe_exit(self) -> str:
        if self._plan is not None and not self._closing:
            message = bytes(self._abort_message.value) if self._abort_message is not None else b""
            endpoints = [worker.endpoint for worker in self._plan.workers]
            reason = describe_rpc_exit(self.name, endpoints, message)
            if reason is not None:
                return reason
        return describe_exit(self.name, self._exitcode)


def readable_check(conn: Connection) -> Callable[[float], bool]:
    """`conn.poll(timeout)`, made cheap: a generation waits for every token with it. Where
    the platform has poll(2), one poller is registered once; Connection.poll builds,
    registers and closes a selector on each call (~50 us of Python a token on 2 cores,
    a quarter of what the app's command thread spends on a streamed token)."""
    if not hasattr(select, "poll"):  # Windows: its pipes are not selectable file descriptors
        return conn.poll
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)

    def readable(timeout: float) -> bool:
        return bool(poller.poll(max(0.0, timeout) * 1000))

    return readable


def _logprob(token: ScoredToken) -> TokenLogprob:
    """A worker's scored token as the core's record (trusted data: built without validation)."""
    text, data, logprob, top = token
    alternatives = [TokenChoice.model_construct(token=t, bytes=b, logprob=p) for t, b, p in top]
    return TokenLogprob.model_construct(token=text, bytes=data, logprob=logprob, top=alternatives)


def _ms(started: float, at: float | None) -> float | None:
    return None if at is None else (at - started) * 1000


class LlamaCppBackend:
    """Loads GGUF files with llama.cpp, each in its own worker process; with `rpc` on, across
    the RPC workers that `rpc_workers()` lists."""

    name = "llama_cpp"

    def __init__(self, rpc_workers: Callable[[], list[str]] = list) -> None:
        self.cluster = RpcCluster(rpc_workers)

    def can_load(self, location: str, info: GGUFInfo | None) -> bool:
        return info is not None or (os.path.isfile(location) and is_gguf(location))

    def host_memory_share(self, info: GGUFInfo, options: LoadOptions) -> float:
        if options.rpc:
            try:
                return self.cluster.plan(info, options).host_share
            except ModelLoadFailed:  # a worker down: estimate as if it all stayed here
                return 1.0
        return host_share(info.block_count, options.gpu_layers, can_offload())

    def worker_shares(self, info: GGUFInfo, options: LoadOptions) -> list[WorkerShare]:
        return self.cluster.plan(info, options).worker_shares() if options.rpc else []

    def remote_models(self) -> list[RemoteModelInfo]:
        return []  # its models are the library's files

    def load(
        self,
        location: str,
        options: LoadOptions,
        on_progress: ProgressCallback | None,
        token: CancelToken | None,
    ) -> WorkerModel:
        name = Path(location).name
        plan = self.cluster.plan(read_gguf(location), options) if options.rpc else None
        self.cluster.forget()  # the next load asks the workers again
        launch: WorkerRpcLaunch | None = plan.launch if plan is not None else None
        allow_huge_pages_in_children()
        context = multiprocessing.get_context("spawn")
        conn, child_conn = context.Pipe(duplex=True)
        cancel_flag = context.RawValue(ctypes.c_longlong, 0)
        abort_message = context.RawArray(ctypes.c_char, ABORT_MESSAGE_BYTES) if plan is not None else None
        process = context.Process(
            target=worker_main,
            args=(
                child_conn,
                cancel_flag,
                location,
                options.model_dump_json(),
                launch.model_dump_json() if launch is not None else None,
                abort_message,
            ),
            name=f"llamadesk-model:{name}",
            daemon=True,
        )
        process.start()
        child_conn.close()  # so that the worker's death closes the pipe for us
        try:
            ready = self._wait_ready(name, process, conn, on_progress, token)
        except ModelLoadFailed as exc:
            process.kill()
            process.join(SHUTDOWN_S)
            conn.close()
            if plan is None:
                raise
            # An RPC worker that went away mid-load ends this process inside ggml.
            endpoints = [worker.endpoint for worker in plan.workers]
            reason = describe_rpc_exit(name, endpoints, bytes(abort_message.value) if abort_message else b"")
            raise ModelLoadFailed(reason or exc.message) from None
        except BaseException:
            process.kill()
            process.join(SHUTDOWN_S)
            conn.close()
            raise
        return WorkerModel(name, process, conn, cancel_flag, ready, plan, abort_message)

    @staticmethod
    def _wait_ready(
        name: str,
        process: Any,
        conn: Connection,
        on_progress: ProgressCallback | None,
        token: CancelToken | None,
    ) -> WorkerReady:
        while True:
            if token is not None and token.cancelled:
                raise Cancelled(f"loading {name} was cancelled")
            if not conn.poll(POLL_S):
                if not process.is_alive():
                    raise ModelLoadFailed(describe_exit(name, process.exitcode))
                continue
            try:
                message = conn.recv()
            except (EOFError, OSError):
                process.join(1.0)
                raise ModelLoadFailed(describe_exit(name, process.exitcode)) from None
            if isinstance(message, WorkerLoadProgress):
                if on_progress is not None:
                    on_progress(message.progress)
            elif isinstance(message, WorkerReady):
                return message
            elif isinstance(message, WorkerLoadFailed):
                raise ModelLoadFailed(message.message)
