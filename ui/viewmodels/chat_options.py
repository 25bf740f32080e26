"""The chat's side panel and message details without a window: sampling typed as text
over the preset's (or the settings') values, a message's time and token counts, file names
for exports, and the `/` menu of the message box.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from llamadesk.core.models.chat_history import ChatMessage
from llamadesk.core.models.llama import SamplingParams

from ..catalogs import N_, tr
from .formatting import token_footer

# The sampling fields the panel shows, in order, with their labels.
SAMPLING_FIELDS = (
    ("temperature", N_("Temperature")),
    ("top_p", N_("Top p")),
    ("top_k", N_("Top k")),
    ("max_tokens", N_("Max tokens")),
    ("seed", N_("Seed")),
)


class SamplingError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def sampling_text(sampling: SamplingParams | None, key: str) -> str:
    """A field's text: the chat's own value, or empty (the preset's or the settings')."""
    if sampling is None:
        return ""
    value = getattr(sampling, key)
    return "" if value is None else str(value)


def sampling_from_texts(base: SamplingParams, texts: dict[str, str]) -> SamplingParams | None:
    """The chat's sampling: `base` (its preset's, or the settings') with the typed values over
    it; None when nothing is typed (answers then use the preset or the settings)."""
    typed: dict[str, Any] = {key: text.strip() for key, text in texts.items() if text.strip()}
    if not typed:
        return None
    try:
        return SamplingParams.model_validate({**base.model_dump(), **typed})
    except ValidationError as exc:
        errors = {}
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            errors[key] = str(error["msg"])
        raise SamplingError(errors) from None


def message_details(message: ChatMessage, now: datetime | None = None) -> str:
    """When a message was written, and for an answer its tokens and speed: `14:03 · 48 tokens ·
    31.2 tok/s` (with the date when it is not today)."""
    local = message.created_at.astimezone()
    today = (now or datetime.now().astimezone()).date()
    when = f"{local:%H:%M}" if local.date() == today else f"{local:%Y-%m-%d %H:%M}"
    usage = message.usage
    tokens = token_footer(usage.completion_tokens, usage.tokens_per_second) if usage else ""
    return " · ".join(part for part in (when, tokens) if part)


def export_name(title: str, extension: str) -> str:
    """A file name from a chat's title: `Choosing a first model.md`."""
    cleaned = re.sub(r"[^\w .,()-]+", "", title).strip(" .") or "chat"
    return f"{cleaned[:80]}.{extension}"


@dataclass(frozen=True)
class Suggestion:
    label: str  # what the chip shows
    text: str  # the message box's text when it is taken
    cursor: int = -1  # where the cursor goes then; -1: the end


SLASH_COMMANDS = (
    ("/preset", N_("use a preset")),
    ("/model", N_("answer with another model")),
    ("/tools", N_("pick the chat's tools")),
    ("/tool", N_("make the model call a tool")),
    ("/clear", N_("start a new chat")),
)


def slash_suggestions(text: str, presets: list[str], models: list[str], tools: list[str]) -> list[Suggestion]:
    """The `/` menu for what is typed: the commands, then a command's choices."""
    if not text.startswith("/") or "\n" in text:
        return []
    command, space, rest = text.partition(" ")
    if not space:
        return [
            Suggestion(f"{name}  {tr(what)}", name + " ")
            for name, what in SLASH_COMMANDS
            if name.startswith(command)
        ]
    choices = {"/preset": presets, "/model": models, "/tool": tools}.get(command)
    if choices is None or " " in rest:
        return []
    low = rest.lower()
    return [Suggestion(choice, f"{command} {choice} ") for choice in choices if low in choice.lower()][:8]
