"""Full garbage collections only while nobody is looking.

The window keeps tens of thousands of Kivy objects (widgets, their properties
and bindings). A full cyclic collection walks all of them: 60-130 ms measured
on 2 cores, which lands as one long frame in the middle of a scroll or a
stream. Automatic full collections are turned off (the young generations still
run and stay short) and one runs instead once the UI has been idle a moment.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from kivy.clock import Clock

IDLE_S = 2.0  # no input, scrolling or streaming for this long counts as idle
EVERY_S = 15.0  # at most one full collection this often
NEVER = 1_000_000  # gen-1 collections before an automatic full one: never, in practice


class IdleCollector:
    def __init__(self, busy: Callable[[], bool]) -> None:
        self._busy = busy  # e.g. an answer is streaming
        self._active_at = time.monotonic()
        self._collected_at = time.monotonic()

    def start(self) -> None:
        young, middle, _full = gc.get_threshold()
        gc.set_threshold(young, middle, NEVER)
        Clock.schedule_interval(self._maybe_collect, 1.0)

    def activity(self, *_: object) -> None:
        """Something moved (input, scrolling): not idle now."""
        self._active_at = time.monotonic()

    def _maybe_collect(self, _dt: float) -> None:
        now = time.monotonic()
        if self._busy() or now - self._active_at < IDLE_S or now - self._collected_at < EVERY_S:
            return
        gc.collect()
        self._collected_at = time.monotonic()
