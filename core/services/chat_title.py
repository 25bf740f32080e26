"""Asking the model for a short title, and cleaning up what it says."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models.chat import ChatTurn, Role
from ..models.chat_history import ChatMessage
from ..models.llama import GenerateRequest, SamplingParams

MAX_TITLE_CHARS = 60
EXCERPT_CHARS = 1200

TITLE_SAMPLING = SamplingParams(temperature=0.2, top_p=0.9, max_tokens=24, seed=0)


def title_request(model: str, branch: Sequence[ChatMessage]) -> GenerateRequest:
    """A one-shot request for a title of the first exchange of `branch`."""
    exchange = "\n\n".join(
        f"{m.role.value.capitalize()}: {m.content[:EXCERPT_CHARS]}"
        for m in branch[:2]
        if m.role is not Role.SYSTEM
    )
    return GenerateRequest(
        model=model,
        messages=[
            ChatTurn(role=Role.SYSTEM, content="You name conversations. Reply with a short title only."),
            ChatTurn(
                role=Role.USER,
                content=f"Write a title of at most six words for this conversation:\n\n{exchange}\n\nTitle:",
            ),
        ],
        sampling=TITLE_SAMPLING,
    )


def clean_title(text: str) -> str:
    """The first non-empty line, without quotes, markup, a 'Title:' label or a final period."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    marks = " \"'`*#_\u201c\u201d\u2018\u2019"
    line = re.sub(r"^(title\s*:\s*)", "", line.strip(marks), flags=re.IGNORECASE)
    line = line.strip(marks).rstrip(".").strip(marks)
    if len(line) > MAX_TITLE_CHARS:
        line = line[:MAX_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return line
