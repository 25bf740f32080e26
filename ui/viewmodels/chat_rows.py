"""Messages (`ChatMessage`, as chat.get returns them) to RecycleView rows, heights estimated.

A message is a light `MessageHeader` row (who wrote it), a `MessageBody` row holding
Markdown source, and last a `MessageActionBar` row (branch arrows, details or live counters,
rating, Share, Copy, Edit or Regenerate): under the message, so a long answer's buttons are
where its reading ends, as in LM Studio, ChatGPT and Jan. Bodies are parsed only when a row
becomes visible, so turning a page of messages into rows is cheap arithmetic here; the view
corrects a row's height once it has drawn it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llamadesk.core.models.chat import MessageState, Role
from llamadesk.core.models.chat_history import ChatMessage

from ..catalogs import tr
from .chat_options import message_details
from .documents import document_rows
from .formatting import token_footer
from .status import short_model_name
from .tool_calls import of_message, tool_row, unanswered_calls


@dataclass(frozen=True)
class RowMetrics:
    """Pixel sizes the estimate needs, taken from the window at layout time."""

    width: float = 700.0
    char_width: float = 8.0
    line_height: float = 20.0
    code_line_height: float = 18.0
    padding: float = 16.0
    meta_height: float = 48.0  # a row of buttons (the action bar), a thinking or error row
    name_height: float = 28.0  # the header: the author's name alone
    chip_height: float = 30.0  # a line of an attachment chip or a source (document_rows)
    sources_header: float = 26.0


def estimate_body_height(source: str, m: RowMetrics) -> float:
    """Text lines (wrapped), code block bars and block gaps: cheap, and close for common Markdown."""
    chars_per_line = max(10, int((m.width - 2 * m.padding) / m.char_width))
    blank = source.count("\n\n")
    blocks = source.count("```") // 2  # each fence pair is a header bar instead of two lines
    lines = max(1, source.count("\n") + 1 - blank - 2 * blocks) + len(source) // chars_per_line
    gaps = blank * m.padding / 2
    return math.ceil(m.padding + lines * m.line_height + blocks * (m.meta_height + m.padding / 2) + gaps)


def branch_position(message_id: str, siblings: dict[str, list[str]]) -> tuple[int, int]:
    """(1-based position, count) of a message among its edits/regenerations."""
    group = siblings.get(message_id)
    if not group or message_id not in group:
        return 1, 1
    return group.index(message_id) + 1, len(group)


def sibling_at(message_id: str, siblings: dict[str, list[str]], delta: int) -> str | None:
    group = siblings.get(message_id) or []
    if message_id not in group:
        return None
    index = group.index(message_id) + delta
    return group[index] if 0 <= index < len(group) else None


ACTION_BAR = "MessageActionBar"  # the viewclass of a message's last row: its buttons


def header_row(message: ChatMessage, m: RowMetrics) -> dict[str, Any]:
    """A message's first row: who wrote it (an answer's model), nothing to press."""
    return {
        "viewclass": "MessageHeader",
        "message_id": message.id,
        "role": message.role.value,
        "model_name": short_model_name(message.model),
        "streaming": False,
        "height": m.name_height,
    }


def action_bar_row(message: ChatMessage, siblings: dict[str, list[str]], m: RowMetrics) -> dict[str, Any]:
    """A message's last row: its branch arrows, details, rating and buttons."""
    position, count = branch_position(message.id, siblings)
    usage = message.usage
    return {
        "viewclass": ACTION_BAR,
        "message_id": message.id,
        "role": message.role.value,
        "branch_text": f"{position}/{count}" if count > 1 else "",
        "can_prev": position > 1,
        "can_next": position < count,
        "footer": token_footer(usage.completion_tokens, usage.tokens_per_second) if usage else "",
        "details": message_details(message),  # shown on hover or a long press
        "show_details": False,
        "rating": message.rating or "",
        "streaming": False,
        "height": m.meta_height,
    }


def body_row(
    message_id: str,
    role: str,
    source: str,
    m: RowMetrics,
    *,
    key: str,
    streaming: bool = False,
    tail: bool = False,
    joins_above: bool = False,
    joins_below: bool = False,
) -> dict[str, Any]:
    """A message body; a streamed answer is several (`joins_*`: the rows are one body), the
    last of them its `tail` while it streams."""
    return {
        "viewclass": "MessageBody",
        "message_id": message_id,
        "role": role,
        "source": source,
        "cache_key": key,
        "streaming": streaming,  # drawn to grow cheaply (LiveText) until the answer is stored
        "tail": tail,  # still being written: tables and formulas show their source until complete
        # Always set: a recycled view keeps whatever a row leaves out.
        "joins_above": joins_above,
        "joins_below": joins_below,
        "height": estimate_body_height(source, m),
    }


def action_bar_index(rows: Sequence[dict[str, Any]], index: int) -> int | None:
    """The action bar of the message that row `index` belongs to: the last of its rows, so
    the first action bar at or below `index` among the rows of that message."""
    message_id = rows[index].get("message_id")
    if not message_id:
        return None
    for at in range(index, len(rows)):
        row = rows[at]
        if row.get("message_id") != message_id:
            return None
        if row.get("viewclass") == ACTION_BAR:
            return at
    return None


def sent_rows(
    message: ChatMessage, key: str, m: RowMetrics, chips: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """A message the user just sent or edited, shown until the stored transcript comes back."""
    body = body_row(message.id, message.role.value, message.content, m, key=key)
    return [header_row(message, m), body, *chips, action_bar_row(message, {}, m)]


def message_rows(message: ChatMessage, siblings: dict[str, list[str]], m: RowMetrics) -> list[dict[str, Any]]:
    rows = [header_row(message, m)]
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
    rows.extend(document_rows(message, m.chip_height, m.sources_header))
    if message.state is MessageState.ERROR:
        rows.append(
            {
                "viewclass": "ErrorRow",
                "message_id": message.id,
                "text": message.error or tr("This answer failed."),
                "height": m.meta_height,
            }
        )
    rows.append(action_bar_row(message, siblings, m))
    return rows


def conversation_rows(
    messages: list[ChatMessage], siblings: dict[str, list[str]], m: RowMetrics
) -> list[dict[str, Any]]:
    """Rows of a branch. A `tool` message is one collapsible tool call row (its call and
    result); an answer that called tools shows its text, and its calls come with their
    results in the messages after it."""
    rows: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        if message.role is Role.SYSTEM:
            continue
        call = of_message(message)
        if call is not None:
            rows.append(tool_row(call, message.id, m.meta_height))
            continue
        rows.extend(message_rows(message, siblings, m))
        rows.extend(tool_row(v, message.id, m.meta_height) for v in unanswered_calls(messages, index))
    return rows
