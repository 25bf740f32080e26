"""Messages to RecycleView rows, with heights estimated before anything is drawn.

A message is two kinds of row: a `MessageMeta` row (role, branch arrows, actions,
speed) and `MessageBody` rows holding Markdown source. Bodies are parsed only
when a row becomes visible, so opening a 10,000-message chat costs one pass of
cheap arithmetic here. The view corrects a row's height once it has drawn it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from llamadesk.core.models.chat import ChatMessage, MessageState, Role

from .chat_tree import ChatTree
from .formatting import token_footer


@dataclass(frozen=True)
class RowMetrics:
    """Pixel sizes the estimate needs, taken from the window at layout time."""

    width: float = 700.0
    char_width: float = 8.0
    line_height: float = 20.0
    code_line_height: float = 18.0
    padding: float = 16.0
    meta_height: float = 48.0


def estimate_body_height(source: str, m: RowMetrics) -> float:
    """Wrapped lines plus one per newline: cheap (10,000 rows in a few ms) and close enough."""
    chars_per_line = max(10, int((m.width - 2 * m.padding) / m.char_width))
    lines = source.count("\n") + 1 + len(source) // chars_per_line
    return math.ceil(m.padding + lines * m.line_height)


def meta_row(message: ChatMessage, tree: ChatTree | None, m: RowMetrics, **extra: Any) -> dict[str, Any]:
    position, count = tree.siblings(message.id) if tree and message.id in tree.by_id else (1, 1)
    return {
        "viewclass": "MessageMeta",
        "message_id": message.id,
        "role": message.role.value,
        "model_name": message.model or "",
        "branch_text": f"{position}/{count}" if count > 1 else "",
        "can_prev": position > 1,
        "can_next": position < count,
        "footer": token_footer(extra.get("tokens"), extra.get("tokens_per_second")),
        "streaming": bool(extra.get("streaming", False)),
        "height": m.meta_height,
    }


def body_row(message_id: str, role: str, source: str, m: RowMetrics, *, key: str) -> dict[str, Any]:
    return {
        "viewclass": "MessageBody",
        "message_id": message_id,
        "role": role,
        "source": source,
        "cache_key": key,
        "height": estimate_body_height(source, m),
    }


def message_rows(
    message: ChatMessage, tree: ChatTree | None, m: RowMetrics, stats: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    rows = [meta_row(message, tree, m, **(stats or {}))]
    if message.reasoning:
        rows.append(
            {
                "viewclass": "ThinkingRow",
                "message_id": message.id,
                "source": message.reasoning,
                "expanded": False,
                "height": m.meta_height,
            }
        )
    if message.content or message.role is not Role.ASSISTANT:
        rows.append(body_row(message.id, message.role.value, message.content, m, key=message.id))
    if message.state is MessageState.ERROR:
        rows.append(
            {
                "viewclass": "ErrorRow",
                "message_id": message.id,
                "text": "This answer failed.",
                "height": m.meta_height,
            }
        )
    return rows


def conversation_rows(
    messages: list[ChatMessage],
    tree: ChatTree | None,
    m: RowMetrics,
    stats: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    stats = stats or {}
    rows: list[dict[str, Any]] = []
    for message in messages:
        if message.role is Role.SYSTEM:
            continue
        rows.extend(message_rows(message, tree, m, stats.get(message.id)))
    return rows
