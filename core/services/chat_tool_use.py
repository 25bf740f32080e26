"""Which tools an answer may call: what a send, regenerate or edit asks for, checked against the
tools the providers offer before anything is saved."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import N_, InvalidParams
from ..models.chat_history import ChatMessage, ChatSession
from ..models.tools import NamedToolChoice, ToolChoice
from .chat_answers import ToolUse
from .tool_catalog import mentioned
from .tools import ToolService


@dataclass(frozen=True)
class ToolRequest:
    """What a send, regenerate or edit asks about tools (chat.* params)."""

    tools: list[str] | None = None  # None: the chat's own
    choice: ToolChoice = "auto"
    approve_all: bool = False


def tool_use_for(
    service: ToolService | None,
    max_rounds: int,
    session: ChatSession,
    question: ChatMessage,
    request: ToolRequest | None,
) -> ToolUse | None:
    """The tools this answer may call: the request's (else the chat's) and the providers
    `@named` in the question; None when there are none."""
    request = request or ToolRequest()
    wanted = [*(session.tools if request.tools is None else request.tools), *mentioned(question.content)]
    if not wanted or service is None:
        if request.choice != "auto" and request.choice != "none":
            raise InvalidParams(N_("tool_choice asks for a tool call, but this answer offers no tools"))
        return None
    offered = service.offered(wanted)
    if request.tools:  # named in this request: a typo is an error (a chat's own may be gone since)
        unknown = service.unknown(request.tools)
        if unknown:
            raise InvalidParams(
                N_("no tool or tool provider named {unknown!r}; see `llamadesk tools`"), unknown=unknown[0]
            )
    if isinstance(request.choice, NamedToolChoice) and request.choice.name not in {t.name for t in offered}:
        raise InvalidParams(
            N_("tool_choice names {name!r}, which this answer does not offer"), name=request.choice.name
        )
    return ToolUse(
        service=service,
        offered=offered,
        choice=request.choice,
        approve_all=request.approve_all,
        max_rounds=max_rounds,
    )
