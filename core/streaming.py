"""What long work receives besides its inputs: a sink for its events, a token that says stop.

Commands, services and plugins all take these, so they live below every layer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from pydantic import BaseModel

log = logging.getLogger(__name__)

EventSink = Callable[[BaseModel], None]


class CancelToken:
    """Set once by whoever wants the work to stop; callbacks fire at that moment.

    Callbacks let a handler that is blocked elsewhere (a model worker, a socket)
    react at once instead of polling.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a failing callback must not stop the others
                log.exception("cancel callback failed")

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` when cancelled (at once if already). Returns an unsubscribe."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._discard(callback)
        callback()
        return lambda: None

    def _discard(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep until cancelled or `timeout`; True if cancelled."""
        return self._event.wait(timeout)
