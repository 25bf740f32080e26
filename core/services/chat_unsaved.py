"""Chat messages the store could not save (the disk is full): kept in memory, saved when it can.

An answer streaming when the disk fills must not be lost, and the store must not be
left half written: SQLite rolls back the write that failed, and the message waits
here, in the order it was saved (a parent before its children). Every later save goes
behind it, and a side thread tries again every few seconds until the store takes
them all. `export()` writes them to a file the user picks (another disk) meanwhile.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from ..errors import StorageError
from ..fileio import atomic_write_text
from ..models.chat_history import ChatMessage, UnsavedMessages

log = logging.getLogger(__name__)

SaveFn = Callable[[ChatMessage, bool], None]  # (message, make_active): the store's save_message
RETRY_EVERY_S = 5.0


class UnsavedQueue:
    """Saves messages through `save`; those it refuses with a StorageError wait here."""

    def __init__(self, save: SaveFn, *, retry_every_s: float | None = None) -> None:
        self._save = save
        self._retry_every = RETRY_EVERY_S if retry_every_s is None else retry_every_s
        self._lock = threading.Lock()  # the queue itself
        self._writing = threading.Lock()  # one writer at a time, so the order holds
        self._waiting: dict[str, tuple[ChatMessage, bool]] = {}  # insertion order is save order
        self._reason: str | None = None
        self._stop = threading.Event()
        self._retrier: threading.Thread | None = None

    def save(self, message: ChatMessage, *, make_active: bool = False) -> bool:
        """Store `message`, or keep it here when the store fails; True once it is stored."""
        with self._lock:
            queued = bool(self._waiting)
            if queued:  # behind what waits; an update of a waiting message keeps its place
                _, was_active = self._waiting.get(message.id, (message, False))
                self._waiting[message.id] = (message, make_active or was_active)
        if queued:
            self.flush()
            return not self.is_waiting(message.id)
        with self._writing:
            try:
                self._save(message, make_active)
                return True
            except StorageError as exc:
                self._keep(message, make_active, exc)
                return False

    def flush(self) -> int:
        """Try to store every waiting message, in order; returns how many were stored."""
        stored = 0
        with self._writing:
            while True:
                with self._lock:
                    if not self._waiting:
                        self._reason = None
                        return stored
                    message_id, (message, make_active) = next(iter(self._waiting.items()))
                try:
                    self._save(message, make_active)
                except StorageError as exc:
                    with self._lock:
                        self._reason = exc.message
                    return stored
                with self._lock:
                    if self._waiting.get(message_id, (None,))[0] is message:  # not replaced meanwhile
                        del self._waiting[message_id]
                stored += 1

    def is_waiting(self, message_id: str) -> bool:
        with self._lock:
            return message_id in self._waiting

    def snapshot(self) -> UnsavedMessages:
        with self._lock:
            return UnsavedMessages(
                messages=[message for message, _ in self._waiting.values()], reason=self._reason
            )

    def export(self, path: Path) -> int:
        """Write the waiting messages to `path` as JSON; returns how many."""
        unsaved = self.snapshot()
        atomic_write_text(path, unsaved.model_dump_json(indent=2))
        return len(unsaved.messages)

    def close(self) -> Path | None:
        """Stop retrying; a last try, and what still waits is written to a temporary file
        (returned), so quitting never drops an answer."""
        self._stop.set()
        if self._retrier is not None:
            self._retrier.join(timeout=self._retry_every + 1)
        self.flush()
        if not self.snapshot().messages:
            return None
        fd, name = tempfile.mkstemp(prefix="llamadesk-unsaved-chat-", suffix=".json")
        path = Path(name)
        try:
            with open(fd, "w", encoding="utf-8") as out:
                out.write(self.snapshot().model_dump_json(indent=2))
        except OSError as exc:
            log.error("chat messages could not be saved anywhere: %s", exc)
            return None
        log.warning("chat messages that could not be saved were written to %s", path)
        return path

    # -- internals -------------------------------------------------------------------------

    def _keep(self, message: ChatMessage, make_active: bool, error: StorageError) -> None:
        log.warning("message %s kept in memory: %s", message.id, error.message)
        with self._lock:
            self._waiting[message.id] = (message, make_active)
            self._reason = error.message
            if self._retrier is None or not self._retrier.is_alive():
                self._retrier = threading.Thread(target=self._retry, name="chat-unsaved-retry", daemon=True)
                self._retrier.start()

    def _retry(self) -> None:
        while not self._stop.wait(self._retry_every):
            self.flush()
            with self._lock:
                if not self._waiting:
                    self._retrier = None
                    return
