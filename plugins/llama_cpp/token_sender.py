"""Generated text sent to the app at most every SEND_EVERY_S, the first piece at once.

Each message a worker sends wakes two threads of the app: the one reading the
pipe, and the one it hands the tokens to (the API server's event loop, say).
On a 2-core VM each wake-up costs more than the Python around it (py-spy: over
half of the reading thread's time is the write that wakes the loop), and that
CPU comes out of llama.cpp's decode threads, which wait for each other at every
barrier. Tokens that come faster than SEND_EVERY_S travel together: the first
of a burst at once (time to first token unchanged), the rest with the next
token, each still its own piece (one TokenEvent, one SSE chunk per token).
A piece waits at most one token's time; a slow model sends every token at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .messages import WorkerTokens

SEND_EVERY_S = 0.015


class TokenSender:
    def __init__(self, send: Callable[[Any], None], job_id: int) -> None:
        self._send = send
        self._job_id = job_id
        self._pending: list[tuple[str, str]] = []
        self._sent_at = 0.0

    def emit(self, channel: str, text: str) -> None:
        self._pending.append((channel, text))
        now = time.perf_counter()
        if now - self._sent_at >= SEND_EVERY_S:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        """Send what is pending (before any other message of the job: order is kept)."""
        if self._pending:
            # Trusted data: skip validation per message.
            self._send(WorkerTokens.model_construct(job_id=self._job_id, pieces=self._pending))
            self._pending = []
            self._sent_at = time.perf_counter() if now is None else now


class ScoredTokenSender(TokenSender):
    """A TokenSender for a request that asked for logprobs: each piece of text goes with the
    tokens scored since the last piece (`take()`), in `WorkerTokens.logprobs`."""

    def __init__(self, send: Callable[[Any], None], job_id: int, take: Callable[[], list[Any]]) -> None:
        super().__init__(send, job_id)
        self._take = take
        self._scores: list[list[Any]] = []

    def emit(self, channel: str, text: str) -> None:
        self._scores.append(self._take())
        super().emit(channel, text)

    def flush(self, now: float | None = None) -> None:
        if self._pending:
            message = WorkerTokens.model_construct(
                job_id=self._job_id, pieces=self._pending, logprobs=self._scores
            )
            self._send(message)
            self._pending, self._scores = [], []
            self._sent_at = time.perf_counter() if now is None else now
