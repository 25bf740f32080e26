"""Converting between table rows and the core's chat models.

Rows read back were written by `message_row`/`session_row`, so they are built
with `model_construct` (no re-validation): opening a 5,000-message session must
stay well under 50 ms.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from llamadesk.core.models.chat import MessageState, Role
from llamadesk.core.models.chat_history import ChatMessage, ChatPreset, ChatSession
from llamadesk.core.models.llama import SamplingParams, StopReason, Usage

SESSION_COLUMNS = (
    "id, title, created_at, updated_at, model, system_prompt, preset, pinned, archived, active_leaf_id"
)
MESSAGE_COLUMNS = (
    "id, session_id, parent_id, role, content, reasoning, model, state, created_at, "
    "sampling, usage, stop_reason, error"
)


def to_epoch(moment: datetime) -> float:
    return moment.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def session_row(session: ChatSession) -> tuple[object, ...]:
    return (
        session.id,
        session.title,
        to_epoch(session.created_at),
        to_epoch(session.updated_at),
        session.model,
        session.system_prompt,
        session.preset,
        int(session.pinned),
        int(session.archived),
        session.active_leaf_id,
    )


def session_from_row(row: sqlite3.Row | tuple[object, ...]) -> ChatSession:
    return ChatSession.model_construct(
        id=row[0],
        title=row[1],
        created_at=from_epoch(row[2]),  # type: ignore[arg-type]
        updated_at=from_epoch(row[3]),  # type: ignore[arg-type]
        model=row[4],
        system_prompt=row[5],
        preset=row[6],
        pinned=bool(row[7]),
        archived=bool(row[8]),
        active_leaf_id=row[9],
    )


def message_row(message: ChatMessage) -> tuple[object, ...]:
    return (
        message.id,
        message.session_id,
        message.parent_id,
        message.role.value,
        message.content,
        message.reasoning,
        message.model,
        message.state.value,
        to_epoch(message.created_at),
        message.sampling.model_dump_json() if message.sampling else None,
        message.usage.model_dump_json() if message.usage else None,
        message.stop_reason.value if message.stop_reason else None,
        message.error,
    )


def message_from_row(row: sqlite3.Row | tuple[object, ...]) -> ChatMessage:
    sampling, usage, stop_reason = row[9], row[10], row[11]
    return ChatMessage.model_construct(
        id=row[0],
        session_id=row[1],
        parent_id=row[2],
        role=Role(row[3]),
        content=row[4],
        reasoning=row[5],
        model=row[6],
        state=MessageState(row[7]),
        created_at=from_epoch(row[8]),  # type: ignore[arg-type]
        sampling=SamplingParams.model_validate_json(sampling) if sampling else None,  # type: ignore[arg-type]
        usage=Usage.model_validate_json(usage) if usage else None,  # type: ignore[arg-type]
        stop_reason=StopReason(stop_reason) if stop_reason else None,
        error=row[12],
    )


def preset_from_data(data: str) -> ChatPreset:
    return ChatPreset.model_validate_json(data)
