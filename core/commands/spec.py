"""How a command is declared: once, with its id, texts, typed params and result."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..models.base import CommandParams
from .context import CommandContext

# `chat.send`, `models.pull`, `hello.greet`: lower-case words joined by dots.
COMMAND_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

Handler = Callable[[Any, CommandContext], BaseModel]


class CommandSpec(BaseModel):
    """A command of the table. `handler(params, ctx)` returns an instance of `result`.

    A streaming command emits events through `ctx.emit()` while it runs and
    checks `ctx.cancelled` (or registers `ctx.on_cancel`) to stop early.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    id: str = Field(description="Dotted id, e.g. chat.send.")
    title: str = Field(description="Short human name, e.g. 'Send message'.")
    description: str = Field("", description="One paragraph on what it does.")
    params: type[CommandParams] = Field(
        description="The params model, derived from CommandParams: unknown keys are refused."
    )
    result: type[BaseModel] = Field(description="Pydantic model the handler returns.")
    handler: Handler
    streaming: bool = Field(False, description="Emits events while it runs and can be cancelled.")

    @field_validator("id")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not COMMAND_ID.match(value):
            raise ValueError(f"command id {value!r} must be dotted lower-case words, like chat.send")
        return value
