"""What the worker sends the app: one write a step at most, tokens every SEND_EVERY_S at most.

Each write wakes the app's thread reading the pipe, and the threads it hands tokens
to. On a 2-core VM the woken thread takes a core from llama.cpp's decode threads,
which wait for each other at every barrier: py-spy put ~0.6 ms of the batch loop's
time on each write. So everything a step sends (every slot's tokens, a generation's
end) leaves together in one `WorkerMessages`, and tokens wait for the next write up
to SEND_EVERY_S, on one clock for all slots (each slot keeping its own would write
at every step again). What does not wait:

- an answer's first piece (time to first token unchanged);
- an end, a failure, a tool call: whatever else a step sends goes at its end, with
  every slot's pending tokens.

Outside a step (a token count's reply, say) a message is written at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .messages import WorkerMessages
from .token_sender import TokenSender

SEND_EVERY_S = 0.04  # 25 writes a second at most: smooth to read, ~1% of the decode's time


class Outbox:
    def __init__(self, write: Callable[[Any], None]) -> None:
        self._write = write
        self._senders: dict[int, TokenSender] = {}
        self._queued: list[Any] | None = None  # while a step runs: what it sent, in order
        self._written_at = 0.0

    def send(self, message: Any) -> None:
        """Write at once, or at the end of the step running."""
        if self._queued is None:
            self._write(message)
        else:
            self._queued.append(message)

    def add(self, sender: TokenSender) -> None:
        """Send `sender`'s pending tokens with the outbox's writes, until `remove`."""
        self._senders[sender.job_id] = sender

    def remove(self, job_id: int) -> None:
        self._senders.pop(job_id, None)

    def step_started(self) -> None:
        self._queued = []

    def step_ended(self) -> None:
        queued, self._queued = self._queued or [], None
        now = time.perf_counter()
        due = now - self._written_at >= SEND_EVERY_S
        if not (queued or due or any(s.first_waiting for s in self._senders.values())):
            return
        self._queued = queued  # the senders' flushes join what the step sent
        try:
            for sender in self._senders.values():
                sender.flush()
        finally:
            self._queued = None
        if queued:
            self._written_at = now
            self._write(queued[0] if len(queued) == 1 else WorkerMessages.model_construct(messages=queued))
