"""A thread that unloads models whose keep-alive ran out: it sleeps until the soonest one
ends (or it is woken because one changed), checks, and sleeps again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

IDLE_CHECK_S = 30.0
IDLE_MIN_WAIT_S = 0.05  # a model that failed to unload is not retried in a busy loop


def seconds_until(ends: Iterable[float | None], now: float) -> float:
    """Seconds from `now` until the earliest of `ends` (None: never), the watch's next wait:
    at most IDLE_CHECK_S."""
    soonest = min((end for end in ends if end is not None), default=now + IDLE_CHECK_S)
    return min(IDLE_CHECK_S, max(IDLE_MIN_WAIT_S, soonest - now))


class IdleWatch:
    def __init__(self, check: Callable[[], object], next_wait: Callable[[], float]) -> None:
        """`check` unloads what is due; `next_wait` says how many seconds until the next is."""
        self._check, self._next_wait = check, next_wait
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self.closed = threading.Event()

    def start(self) -> None:
        """Started with the first load (idempotent); never after close."""
        with self._lock:
            if self._thread is not None or self.closed.is_set():
                return
            self._thread = threading.Thread(target=self._run, name="idle-unload", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """A keep-alive changed, or a model with one went idle: look again now."""
        self._wake.set()

    def close(self) -> None:
        self.closed.set()
        self._wake.set()

    def _run(self) -> None:
        while not self.closed.is_set():
            self._wake.wait(self._next_wait())
            self._wake.clear()
            if self.closed.is_set():
                return
            try:
                self._check()
            except Exception:
                log.exception("idle unload failed")
