"""The handle of a model loaded in a worker process (`WorkerModel`, a `LoadedModel`).

Generation runs in the caller's thread, reading the worker's events off the pipe
(`job_mailbox.py`: no relay thread). The model has `slots` sequences; up to that many
generations run at once, each in its slot, and more wait here for one to free. A
stop writes the job id into its slot's shared integer, which the worker checks every
step; if the worker does not confirm within STOP_GRACE_S (it may be inside a long
llama_decode), the handle returns what it has anyway, tells the worker by message
too, and drops that job's late events.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

import psutil

from llamadesk.core.errors import GenerationFailed, ModelCrashed
from llamadesk.core.interfaces.backend import EventCallback, ExitCallback
from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.llama import (
    Embeddings,
    GenerateRequest,
    GenerationResult,
    ModelActivity,
    ModelPart,
    StopReason,
    Usage,
)
from llamadesk.core.models.logprobs import TokenLogprob
from llamadesk.core.models.phrase import Phrase
from llamadesk.core.models.tools import ToolCall
from llamadesk.core.streaming import CancelToken

from .answer_parts import finish_answer, ms_since, scored_pieces
from .job_mailbox import JobMailbox, PipeClosed
from .messages import (
    WorkerCancel,
    WorkerCountPrompt,
    WorkerCountTokens,
    WorkerDone,
    WorkerEmbed,
    WorkerEmbeddings,
    WorkerGenerate,
    WorkerJobFailed,
    WorkerReady,
    WorkerShutdown,
    WorkerTokenCounts,
    WorkerTokens,
    WorkerToolCall,
)
from .rpc_cluster import RpcPlan
from .rpc_probe import PROBE_TIMEOUT_S
from .worker_exit import describe_exit, describe_rpc_exit

Reply = TypeVar("Reply")
STOP_GRACE_S = 0.07  # a stop returns within this even if the worker is busy
POLL_S = 0.1  # how often a caller waiting for a reply checks that the worker still lives
# While generating, how often the caller looks at the stop flag when no token comes
# (a long prompt, a slow model): bounds stop latency at POLL_GENERATING_S + STOP_GRACE_S.
POLL_GENERATING_S = 0.01
SHUTDOWN_S = 3.0  # a worker that does not exit after this is killed
CLOSE_WAIT_S = 1.0  # close() lets stopped generations return their text for this long


class WorkerModel:
    """A model loaded in its own worker process (implements `LoadedModel`)."""

    def __init__(
        self,
        name: str,
        process: Any,
        conn: Connection,
        cancel_flags: Any,
        ready: WorkerReady,
        plan: RpcPlan | None = None,
        abort_message: Any = None,
    ) -> None:
        self.name = name
        self._plan = plan
        self._abort_message = abort_message
        self._process = process
        self._conn = conn
        self._mailbox = JobMailbox(conn)
        self._send_lock = threading.Lock()
        self._cancel_flags = cancel_flags  # one per slot: the job id to stop
        self._ready = ready
        self._slots = threading.Condition()  # guards the fields below
        self._free_slots = list(range(ready.slots))
        self._running: dict[int, int] = {}  # job -> slot
        self._waiting = 0
        self._totals = dict.fromkeys(
            ("prompt_tokens", "cached_tokens", "drafted_tokens", "accepted_tokens"), 0
        )
        self._jobs = itertools.count(1)
        self._closing = False
        self._exit_callback: ExitCallback | None = None
        self._exited = threading.Event()  # set by the watcher, the only thread that reaps
        self._exitcode: int | None = None
        self._exit_reason: Phrase | None = None  # set by the watcher, with the exit code
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

    @property
    def activity(self) -> ModelActivity:
        with self._slots:
            return ModelActivity(
                slots=self._ready.slots, busy_slots=len(self._running), waiting=self._waiting, **self._totals
            )

    def memory_bytes(self) -> int | None:
        try:
            return int(self._ps.memory_info().rss)
        except psutil.Error:
            return None

    def set_exit_callback(self, callback: ExitCallback) -> None:
        self._exit_callback = callback

    def stop(self) -> None:
        """Stop every generation in progress."""
        with self._slots:
            for job, slot in self._running.items():
                self._cancel_flags[slot] = job

    def close(self) -> None:
        if self._closing:
            return
        self.stop()  # generations in progress return their text as cancelled first
        with self._slots:
            self._closing = True
            self._slots.notify_all()  # callers waiting for a slot give up
            self._slots.wait_for(lambda: not self._running, CLOSE_WAIT_S)
        self._shutdown()

    def _shutdown(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._send(WorkerShutdown())
        if not self._exited.wait(SHUTDOWN_S):
            self._process.kill()
            self._exited.wait(SHUTDOWN_S)
        self._conn.close()

    def generate(
        self, request: GenerateRequest, on_event: EventCallback | None, token: CancelToken | None
    ) -> GenerationResult:
        if not self.alive:
            raise self._crashed()
        slot = self._take_slot(token)
        if slot is None:  # cancelled while waiting for a slot
            usage = Usage()
            return finish_answer(request, [], [], [], StopReason.CANCELLED, usage, on_event)
        job = next(self._jobs)
        with self._slots:
            self._running[job] = slot
        self._mailbox.open(job)
        unsubscribe = token.on_cancel(lambda: self._cancel(job, slot)) if token is not None else None
        try:
            return self._run(request, job, slot, on_event)
        finally:
            if unsubscribe is not None:
                unsubscribe()
            self._mailbox.close(job)
            with self._slots:
                del self._running[job]
                self._free_slots.append(slot)
                self._slots.notify_all()

    def _take_slot(self, token: CancelToken | None) -> int | None:
        """A free slot's index, waiting for one; None if `token` was cancelled first. The
        wait is woken by what ends it (a slot freed, the token cancelled, the worker gone or
        closing), not by polling."""
        unsubscribe = token.on_cancel(self._wake_slot_waiters) if token is not None else None
        try:
            with self._slots:
                self._waiting += 1
                try:
                    while not self._free_slots:
                        if token is not None and token.cancelled:
                            return None
                        if not self.alive:
                            raise self._crashed()
                        self._slots.wait()
                finally:
                    self._waiting -= 1
                if token is not None and token.cancelled:
                    return None
                return self._free_slots.pop()
        finally:
            if unsubscribe is not None:
                unsubscribe()

    def _wake_slot_waiters(self) -> None:
        with self._slots:
            self._slots.notify_all()

    def _cancel(self, job: int, slot: int) -> None:
        with self._slots:
            if self._running.get(job) == slot:
                self._cancel_flags[slot] = job

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
        """Send one request (not a generation) and wait for its reply."""
        if not self.alive:
            raise self._crashed()
        job = next(self._jobs)
        self._mailbox.open(job)
        try:
            self._send(make(job))
            while True:
                message = self._next_message(job, POLL_S)
                if isinstance(message, reply_type):
                    return message
                if isinstance(message, WorkerJobFailed):
                    raise _job_failure(message)
        finally:
            self._mailbox.close(job)

    def _run(
        self, request: GenerateRequest, job: int, slot: int, on_event: EventCallback | None
    ) -> GenerationResult:
        started = time.perf_counter()
        self._send(
            WorkerGenerate(
                job_id=job,
                slot=slot,
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
        flags = self._cancel_flags
        stop_seen_at: float | None = None
        while True:
            if flags[slot] == job and stop_seen_at is None:
                stop_seen_at = time.perf_counter()
            if stop_seen_at is not None:
                left = STOP_GRACE_S - (time.perf_counter() - stop_seen_at)
                if left <= 0:  # the worker is busy; keep what arrived, drop the rest
                    with contextlib.suppress(ModelCrashed):
                        self._send(WorkerCancel(job_id=job))  # in case the slot's flag is reused first
                    usage = Usage(completion_tokens=count, time_to_first_token_ms=ms_since(started, first_at))
                    reason = StopReason.CANCELLED
                    return finish_answer(request, content, reasoning, calls, reason, usage, on_event, scored)
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
                    count += scored_pieces(message, content, reasoning, scored, on_event)
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
                usage = message.usage.model_copy(
                    update={"time_to_first_token_ms": ms_since(started, first_at)}
                )
                self._count(usage)
                reason = message.stop_reason
                if flags[slot] == job and reason not in (StopReason.STOP, StopReason.TOOL_CALLS):
                    reason = StopReason.CANCELLED
                return finish_answer(
                    request, content, reasoning, calls, reason, usage, on_event, scored, message.stop_sequence
                )
            elif isinstance(message, WorkerJobFailed):
                raise _job_failure(message)

    def _count(self, usage: Usage) -> None:
        with self._slots:
            for name in self._totals:
                self._totals[name] += getattr(usage, name)

    def _next_message(self, job: int, timeout: float) -> Any:
        """The worker's next message about `job`, or None if none came within `timeout`."""
        try:
            message = self._mailbox.next(job, timeout)
        except PipeClosed:
            raise self._crashed() from None
        if message is None and self._exited.is_set():
            raise self._crashed()
        return message

    def _send(self, message: Any) -> None:
        try:
            with self._send_lock:
                self._conn.send(message)
        except (OSError, ValueError) as exc:
            raise self._crashed() from exc

    def _crashed(self) -> ModelCrashed:
        # The pipe closes a moment before the exit code is known (and, with RPC workers, before
        # each has been asked whether it is still there).
        workers = len(self._plan.workers) if self._plan is not None else 0
        self._exited.wait(SHUTDOWN_S + workers * PROBE_TIMEOUT_S)
        return (self._exit_reason or describe_exit(self.name, self._exitcode)).error(ModelCrashed)

    def _watch(self) -> None:
        """Wait for the process to end; if nobody asked it to, report why."""
        wait([self._process.sentinel])
        self._process.join()
        self._exitcode = self._process.exitcode
        self._exit_reason = reason = self._describe_exit()
        self._exited.set()
        self._wake_slot_waiters()  # callers waiting for a slot fail at once
        if not self._closing and self._exit_callback is not None:
            self._exit_callback(reason.english())

    def _describe_exit(self) -> Phrase:
        if self._plan is not None and not self._closing:
            message = bytes(self._abort_message.value) if self._abort_message is not None else b""
            endpoints = [worker.endpoint for worker in self._plan.workers]
            reason = describe_rpc_exit(self.name, endpoints, message)
            if reason is not None:
                return reason
        return describe_exit(self.name, self._exitcode)


def _job_failure(message: WorkerJobFailed) -> GenerationFailed:
    if message.phrase is not None:
        return message.phrase.error(GenerationFailed)
    return GenerationFailed(message.message)
