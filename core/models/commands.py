"""What the command table hands back to its callers besides results."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import CommandParams, Record
from .logprobs import TokenLogprob
from .tools import ToolCall


class CommandErrorInfo(Record):
    """An error as every client sees it: the CLI and the API give `message` (English); the
    window translates `template` and fills it with `details`, or shows `message` as it is."""

    code: str = Field(description="Stable identifier, e.g. not_found, invalid_params, cancelled.")
    message: str = Field(description="One sentence for the person using the app, in English.")
    details: dict[str, Any] = Field(default_factory=dict)
    template: str | None = Field(
        default=None,
        description="The message's English template (`{name}` placeholders filled from details), "
        "a msgid of the window's catalog; None for a message that has no template.",
    )


class CommandInfo(Record):
    """A registered command as listed by `llamadesk commands` and the docs."""

    id: str
    title: str
    description: str
    streaming: bool
    params_schema: dict[str, Any]
    result_schema: dict[str, Any]


class Empty(CommandParams):
    """Params or result of a command that takes or returns nothing."""


class ProgressEvent(Record):
    """Progress of long work: bytes downloaded, layers loaded, items processed."""

    kind: str = "progress"
    done: float = 0
    total: float | None = None
    message: str = ""


class StateEvent(Record):
    """A change of state, e.g. a model going from loading to ready."""

    kind: str = "state"
    state: str
    message: str = ""


class TokenEvent(Record):
    """A piece of generated text; `channel` separates reasoning from the answer."""

    kind: str = "token"
    text: str
    channel: str = "content"
    logprobs: list[TokenLogprob] | None = Field(
        None, description="The tokens this text completes, when the request asked for logprobs."
    )


class ToolCallEvent(Record):
    """The model finished a tool call; `index` counts the calls of one answer from 0.
    Its text never arrives as TokenEvents."""

    kind: str = "tool_call"
    index: int
    call: ToolCall
