"""Where a server's connection stands, as every thread may read it: an immutable snapshot,
replaced whole by the event loop at each change."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from llamadesk.core.models.tools import ToolSpec

from .reasons import Reason


class ConnectionState(StrEnum):
    NOT_CONNECTED = "not connected"  # not started yet, or stopped; the next use connects
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"  # could not start, stopped answering, or exited; the next use tries again
    DISABLED = "disabled"


@dataclass(frozen=True)
class ConnectionStatus:
    state: ConnectionState
    error: str | None = None  # in English: the reason, then what the server said
    reason: Reason | None = None  # the same, for the window to translate
    said: str = ""  # the last lines of a stdio server's stderr, secrets scrubbed
    tools: tuple[ToolSpec, ...] = ()
    listed: bool = False  # its tools were listed at least once (a crashed server keeps them)
    server_info: str | None = None  # the server's own name and version, as it told them

    @property
    def words(self) -> str:
        """`connected`, `connecting`, `failed: <reason>`, `disabled`, `not connected`."""
        if self.state is ConnectionState.FAILED and self.error:
            return f"failed: {self.error}"
        return self.state.value


NOT_CONNECTED = ConnectionStatus(ConnectionState.NOT_CONNECTED)
DISABLED = ConnectionStatus(ConnectionState.DISABLED)
