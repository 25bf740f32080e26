"""Asking on the terminal before a tool runs, while a command streams.

A chat that calls a tool emits a `ToolApprovalEvent` from its worker thread and waits.
The question is asked by the main thread (the event is queued, so Ctrl+C still reaches
the loop that waits for the command), then answered with `tools.approve`.
"""

from __future__ import annotations

import queue
import sys
from collections.abc import Callable

from pydantic import BaseModel

from llamadesk.core.commands import CommandTable
from llamadesk.core.models.tools import ApprovalDecision, ApproveParams, ToolApprovalEvent

from .interrupts import Interrupted
from .invoke import CANCEL_GRACE_SECONDS, POLL_SECONDS

ANSWERS = {"y": ApprovalDecision.ONCE, "a": ApprovalDecision.ALWAYS, "n": ApprovalDecision.DENY}


def invoke_asking(
    commands: CommandTable,
    command_id: str,
    params: BaseModel,
    on_event: Callable[[BaseModel], None] | None = None,
) -> BaseModel:
    """Like `invoke_streaming`, asking the user about each tool call on the way."""
    waiting: queue.Queue[ToolApprovalEvent] = queue.Queue()

    def sink(event: BaseModel) -> None:
        if isinstance(event, ToolApprovalEvent):
            waiting.put(event)
        elif on_event is not None:
            on_event(event)

    with Interrupted() as interrupted:
        running = commands.start(command_id, params, on_event=sink)
        while not interrupted.is_set:
            try:
                return running.result(timeout=POLL_SECONDS)
            except TimeoutError:
                pass
            while not waiting.empty():
                event = waiting.get()
                decision = ask(event)
                commands.invoke(
                    "tools.approve", ApproveParams(request_id=event.request_id, decision=decision)
                )
        running.cancel()
        return running.result(timeout=CANCEL_GRACE_SECONDS)


def ask(event: ToolApprovalEvent) -> ApprovalDecision:
    """The user's answer on the terminal; no terminal to ask on is a denial."""
    sys.stderr.write(f"\n{event.provider} wants to run {event.call.name} {event.call.arguments}\n")
    if not sys.stdin.isatty():
        sys.stderr.write("denied: no terminal to ask on (--yes allows every call)\n")
        return ApprovalDecision.DENY
    while True:
        sys.stderr.write("Allow? [y]es once, [a]lways for this tool, [n]o: ")
        sys.stderr.flush()
        try:
            answer = input().strip().lower()[:1]
        except EOFError:
            return ApprovalDecision.DENY
        if answer in ANSWERS:
            return ANSWERS[answer]
