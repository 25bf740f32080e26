"""First come, first served turns per model, so no API client starves.

One generation at a time runs per model (a llama.cpp context serves one sequence);
the others wait in arrival order. A turn is handed back when its generation has really
ended (the worker thread calls `release` through the event loop), not when the HTTP
handler returns: after a disconnect the generation still needs a few ms to stop, and
the next client must not race it. A request cancelled while waiting leaves the line.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field


@dataclass
class _Line:
    busy: int = 0
    waiting: deque[asyncio.Future[None]] = field(default_factory=deque)


class FairModelQueue:
    """Per model: at most `per_model` turns out, the rest wait FIFO. Event-loop only."""

    def __init__(self, per_model: int = 1) -> None:
        self.per_model = per_model
        self._lines: dict[str, _Line] = {}
        # Plain counters other threads (server.status) may read without touching the dict.
        self.running_total = 0
        self.waiting_total = 0

    async def acquire(self, model: str) -> None:
        line = self._lines.setdefault(model, _Line())
        if line.busy < self.per_model and not line.waiting:
            line.busy += 1
            self.running_total += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        line.waiting.append(waiter)
        self.waiting_total += 1
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(model)  # the turn was handed over just as we left: pass it on
            elif waiter in line.waiting:
                line.waiting.remove(waiter)
                self.waiting_total -= 1
            raise

    def release(self, model: str) -> None:
        line = self._lines[model]
        while line.waiting:
            waiter = line.waiting.popleft()
            self.waiting_total -= 1
            if not waiter.done():
                waiter.set_result(None)  # the turn passes on; busy stays the same
                return
        line.busy -= 1
        self.running_total -= 1
        if line.busy == 0:
            del self._lines[model]

    def running(self, model: str) -> int:
        line = self._lines.get(model)
        return line.busy if line else 0

    def waiting(self, model: str) -> int:
        line = self._lines.get(model)
        return len(line.waiting) if line else 0
