"""A tool call as the chat shows it: one collapsible row with the call's arguments, its state,
how long it took and its result, the same whether it is live or stored.

Live, a call moves through the events chat.send streams (`tool_call`, `tool_approval`,
`tool_run running`, `tool_run done`); stored, it is a `tool` message whose `tool_result`
says all of it. An answer's call with no stored result (the app stopped mid-call) shows
as not run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import ChatMessage
from llamadesk.core.models.commands import ToolCallEvent
from llamadesk.core.models.tools import ToolApprovalEvent, ToolCall, ToolOutcome, ToolRunEvent

from ..catalogs import N_, tr

# Row states: the ToolOutcome values, plus those before an outcome.
CALLED = "called"  # the model wrote the call; nothing decided yet
APPROVAL = "approval"  # waiting for the user's allow / deny
ALLOWED = "allowed"  # the user allowed it; about to run
RUNNING = "running"
NOT_RUN = "not run"  # stored without a result: the app stopped before it ran

STATE_WORDS = {
    CALLED: N_("Called"),
    APPROVAL: N_("Waiting for your approval"),
    ALLOWED: N_("Allowed"),
    RUNNING: N_("Running…"),
    ToolOutcome.OK.value: N_("Done"),
    ToolOutcome.ERROR.value: N_("Failed"),
    ToolOutcome.DENIED.value: N_("Denied"),
    ToolOutcome.TIMEOUT.value: N_("Timed out"),
    ToolOutcome.CANCELLED.value: N_("Stopped"),
    NOT_RUN: N_("Not run"),
}
STATE_TONES = {
    APPROVAL: "warning",
    ALLOWED: "primary",
    RUNNING: "primary",
    ToolOutcome.OK.value: "success",
    ToolOutcome.ERROR.value: "danger",
    ToolOutcome.TIMEOUT.value: "danger",
}
FINAL = frozenset({o.value for o in ToolOutcome} | {NOT_RUN})

# A result longer than this is folded: its first lines show, "Show all" shows the rest.
FOLD_LINES = 12
FOLD_CHARS = 1200


@dataclass(frozen=True)
class ToolCallView:
    call_id: str
    name: str  # as the model called it: <provider>_<tool>
    provider: str
    arguments: str  # JSON text, as the model wrote it
    state: str
    result: str = ""
    duration_ms: float | None = None
    truncated: bool = False  # the stored result was cut to tools.result_chars_kept
    request_id: str = ""  # while it waits for approval
    description: str = ""  # the tool's own, shown when asking

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def apply(self, event: Any) -> ToolCallView:
        """This call after a live event about it."""
        if isinstance(event, ToolApprovalEvent):
            return replace(
                self,
                state=APPROVAL,
                request_id=event.request_id,
                provider=event.provider,
                description=event.description,
            )
        if isinstance(event, ToolRunEvent):
            if event.state == "running":
                return replace(self, state=RUNNING, provider=event.provider or self.provider, request_id="")
            if event.result is not None:
                return replace(
                    self,
                    state=event.result.outcome.value,
                    provider=event.result.provider or self.provider,
                    result=event.text,
                    duration_ms=event.result.duration_ms,
                    truncated=event.result.truncated,
                    request_id="",
                )
        return self


def of_call(call: ToolCall, provider: str = "", state: str = CALLED) -> ToolCallView:
    return ToolCallView(
        call_id=call.id, name=call.name, provider=provider, arguments=call.arguments, state=state
    )


def of_event(event: ToolCallEvent | ToolApprovalEvent | ToolRunEvent) -> ToolCallView:
    """The first event seen of a call (usually its `tool_call`)."""
    provider = "" if isinstance(event, ToolCallEvent) else event.provider
    return of_call(event.call, provider).apply(event)


def of_message(message: ChatMessage) -> ToolCallView | None:
    """A stored `tool` message (None for any other)."""
    result = message.tool_result
    if message.role is not Role.TOOL or result is None:
        return None
    return ToolCallView(
        call_id=result.call_id,
        name=result.name,
        provider=result.provider,
        arguments=result.arguments,
        state=result.outcome.value,
        result=message.content,
        duration_ms=result.duration_ms,
        truncated=result.truncated,
    )


def unanswered_calls(messages: list[ChatMessage], index: int) -> list[ToolCallView]:
    """The calls of messages[index] that no later message of the list answers, shown as not
    run, but only for the branch's last message: on a page cut between a call and its
    result, the result's own row shows the call."""
    message = messages[index]
    if not message.tool_calls or index != len(messages) - 1:
        return []
    return [of_call(call, state=NOT_RUN) for call in message.tool_calls]


def pretty_arguments(arguments: str) -> str:
    """The arguments indented, as JSON people read; text that is not JSON as it is."""
    try:
        return json.dumps(json.loads(arguments or "{}"), indent=2, ensure_ascii=False)
    except json.JSONDecodeError:
        return arguments


def one_line_arguments(arguments: str, limit: int = 80) -> str:
    """`{"timezone": "Asia/Tokyo"}` for the folded row's header."""
    try:
        text = json.dumps(json.loads(arguments or "{}"), ensure_ascii=False)
    except json.JSONDecodeError:
        text = arguments
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fold(text: str, lines: int = FOLD_LINES, chars: int = FOLD_CHARS) -> tuple[str, bool]:
    """(what shows while folded, whether anything was left out)."""
    kept = "\n".join(text.splitlines()[:lines])
    if len(kept) > chars:
        kept = kept[:chars]
    folded = len(kept) < len(text.rstrip("\n"))
    return kept, folded


def duration_text(ms: float | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"


def header_text(view: ToolCallView) -> str:
    """The row's one line: what ran with what, and how it went."""
    parts = [tr(STATE_WORDS.get(view.state, view.state))]
    took = duration_text(view.duration_ms)
    if took:
        parts.append(took)
    return " · ".join(parts)


def tool_row(
    view: ToolCallView, message_id: str, height: float, expanded: bool | None = None
) -> dict[str, Any]:
    """The message list's row for a call (viewclass ToolCallRow). A call waiting for approval
    is open, so its arguments show beside the buttons; others start folded."""
    shown, folded = fold(view.result)
    return {
        "viewclass": "ToolCallRow",
        "message_id": message_id,
        "call_id": view.call_id,
        "name": view.name,
        "provider": view.provider,
        "arguments": pretty_arguments(view.arguments),
        "arguments_line": one_line_arguments(view.arguments),
        "state": view.state,
        "state_text": header_text(view),
        "tone": STATE_TONES.get(view.state, "muted"),
        "result": view.result,
        "result_folded": shown if folded else view.result,
        "folded": folded,
        "truncated": view.truncated,
        "request_id": view.request_id,
        "description": view.description,
        "expanded": view.state == APPROVAL if expanded is None else expanded,
        "show_all": False,
        "deciding": False,
        "height": height,
    }
