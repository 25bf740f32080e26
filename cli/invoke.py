"""Running a command from the terminal so that Ctrl+C cancels it cleanly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from llamadesk.core.commands import CommandTable

from .interrupts import Interrupted

# After Ctrl+C, how long the command gets to wind down and keep what it did.
CANCEL_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.1  # how soon a Ctrl+C is seen


def invoke_streaming(
    commands: CommandTable,
    command_id: str,
    params: dict[str, Any] | BaseModel | None = None,
    on_event: Callable[[BaseModel], None] | None = None,
) -> BaseModel:
    """Run on the worker pool and wait; Ctrl+C cancels and waits for the command to end.

    Raises CommandError like the table does (code `cancelled` after Ctrl+C).
    """
    with Interrupted() as interrupted:
        running = commands.start(command_id, params, on_event=on_event)
        while not interrupted.is_set:
            try:
                return running.result(timeout=POLL_SECONDS)
            except TimeoutError:
                continue
        running.cancel()
        return running.result(timeout=CANCEL_GRACE_SECONDS)
