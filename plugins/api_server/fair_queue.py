"""First come, first served turns per model, so no API client starves.

A model generates for as many requests at once as it has slots (load option
`parallel`); the others wait in arrival order. A turn is handed back when its generation has really
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
    turns: int = 1  # the model's slots, as the latest request found them
    waiting: deque[asyncio.Future[None]] = field(default_factory=deque)


class FairModelQueue:
    """Per model: at most its slots' turns out, the rest wait FIFO. Event-loop only."""

    def __init__(self) -> None:
        self._lines: dict[str, _Line] = {}
        # Plain counters other threads (server.status) may read without touching the dict.
        self.running_total = 0
        self.waiting_total = 0

    async def acquire(self, model: str, turns: int = 1) -> None:
        """Wait for a turn of `model`, which has `turns` slots now."""
        line = self._lines.setdefault(model, _Line())
        line.turns = max(1, turns)
        while line.waiting and line.busy < line.turns:  # the model was reloaded with more slots
            self._hand_over(line)
        if line.busy < line.turns and not line.waiting:
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
        line.busy -= 1
        self.running_total -= 1
        self._hand_over(line)
        if line.busy == 0 and not line.waiting:
            del self._lines[model]

    def _hand_over(self, line: _Line) -> None:
        """Give a free turn to the first waiter still waiting, if the slots allow one."""
        while line.waiting and line.busy < line.turns:
            waiter = line.waiting.popleft()
            self.waiting_total -= 1
            if not waiter.done():
                waiter.set_result(None)
                line.busy += 1
                self.running_total += 1
                return

    def running(self, model: str) -> int:
        line = self._lines.get(model)
        return line.busy if line else 0

    def waiting(self, model: str) -> int:
        line = self._lines.get(model)
        return len(line.waiting) if line else 0
