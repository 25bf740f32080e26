"""A generation's text, kept as pieces until the worker's outbox sends them (`outbox.py`).

Each piece is one token's text on its channel; the pieces of a message stay separate
(one TokenEvent, one SSE chunk per token). A request that asked for logprobs sends
each piece with the tokens scored since the last one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .messages import WorkerTokens


class TokenSender:
    def __init__(self, send: Callable[[Any], None], job_id: int) -> None:
        self._send = send
        self.job_id = job_id
        self._pending: list[tuple[str, str]] = []
        self._sent_any = False
        self.first_waiting = False  # the answer's first piece is pending: it should not wait

    def emit(self, channel: str, text: str) -> None:
        if not self._sent_any:
            self.first_waiting = True
        self._pending.append((channel, text))

    def flush(self) -> None:
        """Send what is pending (before any other message of the job: order is kept)."""
        if self._pending:
            self._send(self._message())
            self._pending = []
            self._sent_any, self.first_waiting = True, False

    def _message(self) -> WorkerTokens:
        # Trusted data: skip validation per message.
        return WorkerTokens.model_construct(job_id=self.job_id, pieces=self._pending)


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

    def flush(self) -> None:
        super().flush()
        self._scores = []

    def _message(self) -> WorkerTokens:
        return WorkerTokens.model_construct(job_id=self.job_id, pieces=self._pending, logprobs=self._scores)
