"""One command run on the app's worker pool, its events handed to the server's event loop.

The command table calls `on_event` in a worker thread; events cross into the loop in
order, followed by an end marker once the command has finished (result or error).
Events emitted before the loop took the previous ones travel with them: waking the loop
(`call_soon_threadsafe`) is the dearest part of a token's way through the server, and a
model worker sends tokens that come close together as one message. Consumers take events
in batches: whatever arrived since the last look, so a slow client gets fewer, larger
writes instead of falling behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from llamadesk.core.commands import CommandTable, RunningCommand

_END = object()


class CommandBridge:
    """`on_finished(cancelled)` runs in the loop once the command has ended, however it ended."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_finished: Callable[[bool], None]) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._on_finished = on_finished
        self._running: RunningCommand | None = None
        self.finished = False
        self._lock = threading.Lock()
        self._arrived: list[Any] = []  # events not yet handed to the loop
        self._handing = False  # a hand-over of `_arrived` is posted and has not run yet

    def start(self, commands: CommandTable, command_id: str, params: BaseModel) -> None:
        try:
            self._running = commands.start(command_id, params, on_event=self._on_event)
        except BaseException:
            self._on_finished(False)
            raise
        self._running.add_done_callback(self._on_done)

    def cancel(self) -> None:
        if self._running is not None:
            self._running.cancel()

    def result(self) -> BaseModel:
        """The command's result once finished; raises its CommandError."""
        assert self._running is not None and self._running.done()
        return self._running.result(0)

    async def next_batch(self) -> list[BaseModel]:
        """Events that arrived since the last call (waits for at least one); [] at the end."""
        if self.finished:
            return []
        batch: list[BaseModel] = []
        item = await self._queue.get()
        while True:
            if item is _END:
                self.finished = True
                return batch
            batch.append(item)
            if self._queue.empty():
                return batch
            item = self._queue.get_nowait()

    async def wait(self) -> BaseModel:
        """Wait for the end, dropping events; returns the result or raises its CommandError."""
        while await self.next_batch():
            pass
        return self.result()

    def _on_event(self, event: BaseModel) -> None:  # a worker thread
        with self._lock:
            self._arrived.append(event)
            if self._handing:
                return  # goes with the hand-over already posted
            self._handing = True
        self._post(self._hand_over)

    def _hand_over(self) -> None:  # the loop
        with self._lock:
            events, self._arrived, self._handing = self._arrived, [], False
        for event in events:
            self._queue.put_nowait(event)

    def _on_done(self, running: RunningCommand) -> None:  # a worker thread (or this one)
        self._post(self._finish)

    def _finish(self) -> None:
        self._queue.put_nowait(_END)
        self._on_finished(self._running is not None and self._running.cancelled)

    def _post(self, callback: Callable[..., None], *args: Any) -> None:
        # RuntimeError: the server's loop is closed, nobody is listening any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback, *args)
