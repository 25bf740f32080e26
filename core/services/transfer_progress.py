"""Turns a stream of byte counts from worker threads into paced progress events with speed and ETA."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..models.library import PullProgress

EMIT_EVERY = 0.1  # seconds: a progress bar needs no more, and a UI batches per frame anyway
SPEED_WINDOW = 2.0  # seconds of history the speed is averaged over


class TransferMeter:
    """Thread-safe: `add()` from any thread, events go to `emit` at most every EMIT_EVERY seconds."""

    def __init__(self, total: int, emit: Callable[[PullProgress], None] | None, phase: str = "downloading"):
        self.total = total
        self.done = 0
        self.phase = phase
        self.digest = ""
        self._emit = emit
        self._lock = threading.Lock()
        self._emit_lock = threading.Lock()  # events leave one at a time, whichever thread made them
        self._last_emit = 0.0
        self._history: list[tuple[float, int]] = [(time.monotonic(), 0)]

    def set_phase(self, phase: str, digest: str = "", message: str = "") -> None:
        with self._lock:
            self.phase, self.digest = phase, digest
        self._send(force=True, message=message)

    def skip(self, count: int) -> None:
        """Bytes already there (no transfer): counted as done, not as speed."""
        with self._lock:
            self.done += count
            self._history = [(t, d + count) for t, d in self._history]
        self._send(force=True)

    def add(self, count: int) -> None:
        with self._lock:
            self.done += count
        self._send(force=False)

    def speed(self) -> float:
        with self._lock:
            now = time.monotonic()
            self._history.append((now, self.done))
            self._history = [(t, d) for t, d in self._history if now - t <= SPEED_WINDOW] or self._history[
                -1:
            ]
            (t0, d0), (t1, d1) = self._history[0], self._history[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0

    def _send(self, *, force: bool, message: str = "") -> None:
        if self._emit is None:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last_emit < EMIT_EVERY:
                return
            self._last_emit = now
        speed = self.speed()
        remaining = max(0, self.total - self.done)
        event = PullProgress(
            done=self.done,
            total=self.total,
            phase=self.phase,
            digest=self.digest,
            bytes_per_second=speed,
            eta_seconds=remaining / speed if speed > 0 else None,
            message=message,
        )
        with self._emit_lock:
            self._emit(event)
