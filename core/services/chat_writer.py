"""Saving a streaming answer as it grows, on its own thread, never on the token path.

The generator's callback only appends the token to a list and counts it. A
writer thread saves the text so far when `interval` has passed since the last
save or `max_tokens` tokens have arrived, whichever comes first, so a crash
loses at most that much. The saved message keeps state `partial` until
`finish()` writes the final one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..models.chat_history import ChatMessage
from ..models.commands import TokenEvent

log = logging.getLogger(__name__)

SaveMessage = Callable[[ChatMessage], None]


class StreamingWriter:
    def __init__(
        self,
        save: SaveMessage,
        message: ChatMessage,
        *,
        interval_s: float = 0.25,
        max_tokens: int = 64,
    ) -> None:
        self._save = save
        self._message = message
        self._interval = interval_s
        self._max_tokens = max_tokens
        self._lock = threading.Lock()
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._pending = 0  # tokens since the last save
        self._wake = threading.Event()
        self._done = False
        self.saves = 0  # intermediate saves made, for tests and benchmarks
        self._thread = threading.Thread(target=self._run, name=f"chat-writer-{message.id[:8]}", daemon=True)
        self._thread.start()

    def append(self, event: TokenEvent) -> None:
        """Called for every token, on the generator's thread: cheap by design."""
        with self._lock:
            (self._reasoning if event.channel == "reasoning" else self._content).append(event.text)
            self._pending += 1
            full = self._pending >= self._max_tokens
        if full:
            self._wake.set()

    def _run(self) -> None:
        last_save = time.monotonic()
        while True:
            remaining = self._interval - (time.monotonic() - last_save)
            if remaining > 0:
                self._wake.wait(remaining)
            self._wake.clear()
            if self._done:
                return
            self._flush()
            last_save = time.monotonic()

    def _flush(self) -> None:
        with self._lock:
            if not self._pending:
                return
            self._pending = 0
            content, reasoning = "".join(self._content), "".join(self._reasoning)
        try:
            self._save(self._message.model_copy(update={"content": content, "reasoning": reasoning}))
            self.saves += 1
        except Exception:  # a failed intermediate save is retried by the next one or by finish()
            log.exception("saving a streaming message failed")

    def text(self) -> tuple[str, str]:
        """(content, reasoning) received so far."""
        with self._lock:
            return "".join(self._content), "".join(self._reasoning)

    def finish(self, final: ChatMessage) -> None:
        """Stop the thread and save `final` (the complete, stopped or failed message)."""
        self._done = True
        self._wake.set()
        self._thread.join()
        self._save(final)
