"""Asking the user before a tool runs: a call waits here until `tools.approve` answers it.

The chat emits a `ToolApprovalEvent` with a request id and blocks on `wait()`; the
window or the command line shows the call and answers with `decide()`. Stopping the
answer cancels the wait (a denial); so does the approval timeout, so a client that
cannot answer (a script, an API call) never holds a chat forever.
"""

from __future__ import annotations

import threading
import uuid

from ..models.tools import ApprovalDecision
from ..streaming import CancelToken


class ApprovalBroker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[threading.Event, list[ApprovalDecision]]] = {}

    def open(self) -> str:
        """A new request id; `wait(id, ...)` then blocks until it is decided."""
        request_id = uuid.uuid4().hex
        with self._lock:
            self._pending[request_id] = (threading.Event(), [])
        return request_id

    def wait(self, request_id: str, token: CancelToken, timeout: float) -> ApprovalDecision | None:
        """The decision; None when the answer was stopped or nobody decided in `timeout`."""
        with self._lock:
            event, decision = self._pending[request_id]
        unsubscribe = token.on_cancel(event.set)
        try:
            event.wait(timeout)
        finally:
            unsubscribe()
            with self._lock:
                self._pending.pop(request_id, None)
        return decision[0] if decision else None

    def decide(self, request_id: str, decision: ApprovalDecision) -> bool:
        """Answer a waiting call; False when no call waits under that id (decided, or gone)."""
        with self._lock:
            pending = self._pending.get(request_id)
            if pending is None or pending[1]:
                return False
            pending[1].append(decision)
        pending[0].set()
        return True

    def pending(self) -> list[str]:
        with self._lock:
            return [rid for rid, (_event, decided) in self._pending.items() if not decided]
