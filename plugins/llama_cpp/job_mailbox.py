"""A worker pipe's messages, each handed to the thread waiting for its job.

A model serves several generations at once, each waited for by its own caller thread.
There is no relay thread (one hop less per token): whichever waiting thread finds no
one reading becomes the reader; it reads the pipe until its own job's message comes
or its wait ends, and drops the others' messages into their boxes, waking only their
own thread; a `WorkerMessages` (one step's messages for several jobs) is unpacked.
Alone, a generation reads the pipe itself, as before. Messages of a job nobody waits
for any more (given up after a stop) are dropped.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from typing import Any

from .messages import WorkerMessages
from .pipe_poll import readable_check


class PipeClosed(Exception):
    """The worker's end of the pipe closed (the process ended)."""


class JobMailbox:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._readable = readable_check(conn)
        self._lock = threading.Lock()
        self._boxes: dict[int, deque[Any]] = {}
        self._wakers: dict[int, threading.Condition] = {}
        self._waiting: set[int] = set()
        self._reading = False
        self._closed = False

    def open(self, job: int) -> None:
        """Start keeping `job`'s messages (before its request is sent)."""
        with self._lock:
            self._boxes[job] = deque()
            self._wakers[job] = threading.Condition(self._lock)

    def close(self, job: int) -> None:
        """Stop keeping `job`'s messages; late ones are dropped."""
        with self._lock:
            self._boxes.pop(job, None)
            self._wakers.pop(job, None)

    def next(self, job: int, timeout: float) -> Any:
        """`job`'s next message, or None if none came within `timeout`. Raises PipeClosed."""
        deadline = time.perf_counter() + timeout
        with self._lock:
            box, waker = self._boxes[job], self._wakers[job]
            while True:
                if box:
                    return box.popleft()
                if self._closed:
                    raise PipeClosed
                if not self._reading:
                    self._reading = True
                    break
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self._waiting.add(job)
                waker.wait(left)
                self._waiting.discard(job)
        try:
            return self._read_for(job, deadline)
        finally:
            with self._lock:
                self._reading = False
                for other in self._waiting:  # one of them reads next
                    self._wakers[other].notify()
                    break

    def _read_for(self, job: int, deadline: float) -> Any:
        while True:
            if not self._readable(deadline - time.perf_counter()):
                return None
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                with self._lock:
                    self._closed = True
                    for waker in self._wakers.values():
                        waker.notify_all()
                raise PipeClosed from None
            mine = None
            with self._lock:
                for each in message.messages if type(message) is WorkerMessages else (message,):
                    target = getattr(each, "job_id", None)
                    if target == job and mine is None:
                        mine = each
                        continue
                    if isinstance(target, int) and target in self._boxes:
                        self._boxes[target].append(each)  # a later one of this job's: after `mine`
                        self._wakers[target].notify()
            if mine is not None:
                return mine
