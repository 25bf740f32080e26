"""Ctrl+C (and SIGTERM where asked) as a flag that loops poll, not an exception.

Python raises KeyboardInterrupt wherever the main thread happens to be when
the signal arrives. Inside threading's lock code (a Future's wait, an Event's
condition) that can leave a lock half released: CI saw `llamadesk call` keep
running its command after Ctrl+C and never exit. The handler here only sets an
attribute (no lock taken, nothing raised). The first signal asks for a clean
stop; a second Ctrl+C raises KeyboardInterrupt as usual, for a user who does
not want to wait.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any


class Interrupted:
    def __init__(self, *signals: signal.Signals) -> None:
        self._signals = signals or (signal.SIGINT,)
        self._previous: dict[signal.Signals, Any] = {}
        self.is_set = False

    def __enter__(self) -> Interrupted:
        if threading.current_thread() is threading.main_thread():  # signal.signal's rule
            for signum in self._signals:
                self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.is_set = True
        if signum == signal.SIGINT:  # the next Ctrl+C interrupts at once
            signal.signal(signal.SIGINT, signal.default_int_handler)
