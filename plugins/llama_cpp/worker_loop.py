"""The model worker's request loop: requests in, steps of the batch loop, events out.

While any generation is active the loop alternates: read every request that has
arrived (without waiting), then one step of the batch loop (`batch_loop.py`), so a
request joins the running batch at the next step. With nothing to do it blocks on
the pipe. Embeddings wait for a free sequence and run between steps, on that
sequence only; token counts are answered at once.

A stop is the slot's shared flag (the parent writes the job id there), read every
step, or a `WorkerCancel` message once the parent gave up waiting.

What a step sends leaves in one write at the step's end, tokens at most every
15 ms (`outbox.py`): each write wakes the app, which takes a core from the decode.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from llamadesk.core.models.llama import StopReason

from .chat_template import ChatPrompt
from .embedding import Embedder
from .generation import Generation, GenerationError, Generator
from .messages import (
    WorkerCancel,
    WorkerCountPrompt,
    WorkerCountTokens,
    WorkerDone,
    WorkerEmbed,
    WorkerEmbeddings,
    WorkerGenerate,
    WorkerJobFailed,
    WorkerShutdown,
    WorkerTokenCounts,
    WorkerToolCall,
)
from .outbox import Outbox
from .pipe_poll import readable_check
from .token_sender import ScoredTokenSender, TokenSender
from .tool_use import ToolCallSink, ToolUse


class RequestLoop:
    def __init__(
        self,
        conn: Connection,
        cancel_flags: Any,
        prompt: ChatPrompt,
        generator: Generator,
        embedder: Embedder,
    ) -> None:
        self.conn = conn
        self.outbox = Outbox(conn.send)
        self.send = self.outbox.send
        self.readable = readable_check(conn)
        self.flags = cancel_flags
        self.prompt = prompt
        self.generator = generator
        self.loop = generator.loop
        self.embedder = embedder
        self.cancelled_jobs: set[int] = set()
        self.embeds: deque[WorkerEmbed] = deque()
        self.running = True

    def serve(self) -> None:
        """Until WorkerShutdown, or the app's end of the pipe closes."""
        loop = self.loop
        while self.running:
            if loop.active or self.embeds:
                while self.running and self.readable(0):
                    self._handle(self._receive())
            else:
                self._handle(self._receive())  # nothing to do: wait
            if self.embeds:
                self._embed_waiting()
            if loop.active and self.running:
                self.outbox.step_started()
                try:
                    loop.step()
                except Exception as exc:  # a bug, not a request's fault: fail them, keep the model
                    loop.fail_all(f"{type(exc).__name__}: {exc}")
                finally:
                    self.outbox.step_ended()

    def _receive(self) -> Any:
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            self.running = False  # the app is gone
            return None

    def _handle(self, request: Any) -> None:
        if request is None or isinstance(request, WorkerShutdown):
            self.running = False
        elif isinstance(request, WorkerGenerate):
            self._start(request)
        elif isinstance(request, WorkerCancel):
            self.cancelled_jobs.add(request.job_id)
        elif isinstance(request, WorkerEmbed):
            self.embeds.append(request)
        elif isinstance(request, WorkerCountTokens):
            counts = [self.generator.count_text(text) for text in request.texts]
            self.send(WorkerTokenCounts(job_id=request.job_id, counts=counts))
        elif isinstance(request, WorkerCountPrompt):
            self.send(self._count_prompt(request))

    def _start(self, request: WorkerGenerate) -> None:
        job, send, generator = request.job_id, self.send, self.generator
        scorer = generator.scorer(request.logprobs) if request.logprobs is not None else None
        tokens = TokenSender(send, job) if scorer is None else ScoredTokenSender(send, job, scorer.take)

        def send_call(call: Any) -> None:
            tokens.flush()  # the text before the call goes first
            if scorer is not None:
                scorer.take()  # the call's own tokens are not text of the answer
            send(WorkerToolCall(job_id=job, call=call))

        sink: ToolCallSink | None = None

        def on_end(generation: Generation) -> None:
            self.cancelled_jobs.discard(job)
            self.outbox.remove(job)
            if generation.error is not None:
                tokens.flush()
                send(WorkerJobFailed(job_id=job, message=generation.error))
                return
            reason = generation.reason or StopReason.STOP
            if sink is not None:
                sink.flush()
                if sink.calls and reason is StopReason.STOP:
                    reason = StopReason.TOOL_CALLS
            tokens.flush()
            usage = generation.usage()
            send(
                WorkerDone(
                    job_id=job, stop_reason=reason, usage=usage, stop_sequence=generation.stop_sequence
                )
            )

        try:
            tools = ToolUse(request.tools, request.tool_choice)
            raw = request.prompt is not None
            text = (
                request.prompt
                if raw
                else self.prompt.render(request.messages, tools.offered, request.reasoning)
            )
            out = tokens.emit
            if tools.offered:  # content goes through the tool-call splitter first
                sink = ToolCallSink(tokens.emit, send_call, tools.offered)
                out = sink.emit
            generation = generator.prepare(
                job,
                text or "",
                tools.sampling(request.sampling),
                out,
                self._stop_check(job, request.slot),
                on_end,
                scorer=scorer,
                raw=raw,
            )
        except (GenerationError, ValueError) as exc:  # jinja errors are ValueErrors too
            send(job_failed(job, exc))
            return
        except Exception as exc:
            send(WorkerJobFailed(job_id=job, message=f"{type(exc).__name__}: {exc}"))
            return
        self.outbox.add(tokens)
        self.loop.submit(generation)

    def _stop_check(self, job: int, slot: int) -> Callable[[], bool]:
        flags, cancelled = self.flags, self.cancelled_jobs
        if not 0 <= slot < len(flags):
            slot = 0
        return lambda: flags[slot] == job or job in cancelled

    def _count_prompt(self, request: WorkerCountPrompt) -> WorkerTokenCounts | WorkerJobFailed:
        try:
            if request.prompt is not None:
                tokens = self.generator.tokenize(request.prompt, raw=True)
            else:
                offered = ToolUse(request.tools, request.tool_choice).offered
                tokens = self.generator.tokenize(
                    self.prompt.render(request.messages, offered, request.reasoning)
                )
        except (GenerationError, ValueError) as exc:
            return job_failed(request.job_id, exc)
        return WorkerTokenCounts(job_id=request.job_id, counts=[len(tokens)])

    def _embed_waiting(self) -> None:
        """Embed what waits while a sequence is free (between steps: no generation's cells move)."""
        while self.embeds:
            sequence = self.loop.free_sequence()
            if sequence is None:
                return
            request = self.embeds.popleft()
            try:
                vectors, tokens = self.embedder.embed(request.texts, sequence.id)
                reply: WorkerEmbeddings | WorkerJobFailed = WorkerEmbeddings(
                    job_id=request.job_id, vectors=vectors, prompt_tokens=tokens
                )
            except GenerationError as exc:
                reply = job_failed(request.job_id, exc)
            except Exception as exc:
                reply = WorkerJobFailed(job_id=request.job_id, message=f"{type(exc).__name__}: {exc}")
            finally:
                self.loop.forget(sequence)  # embedding used its cells
            self.send(reply)


def job_failed(job: int, exc: Exception) -> WorkerJobFailed:
    """Why a job failed, with the message's parts where it has them (GenerationError)."""
    return WorkerJobFailed(job_id=job, message=str(exc), phrase=getattr(exc, "phrase", None))
