"""What a running command receives besides its params: events out, cancellation in."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from ..errors import N_, Cancelled
from ..streaming import CancelToken, EventSink

__all__ = ["CancelToken", "CommandContext", "EventSink"]


class CommandContext:
    """Handed to every handler: `emit` streams events, the token says when to stop."""

    def __init__(self, command_id: str, emit: EventSink | None = None, token: CancelToken | None = None):
        self.command_id = command_id
        self._emit = emit
        self.token = token or CancelToken()

    def emit(self, event: BaseModel) -> None:
        if self._emit is not None:
            self._emit(event)

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        return self.token.on_cancel(callback)

    def raise_if_cancelled(self) -> None:
        if self.token.cancelled:
            raise Cancelled(N_("{command_id} was cancelled"), command_id=self.command_id)
