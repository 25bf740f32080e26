"""Converting between table rows and the core's chat models.

Rows read back were written by `message_row`/`session_row` from validated
models, so they are rebuilt without validating again (`trusted`): opening a
5,000-message session must stay well under 50 ms, and pydantic validation (or
even `model_construct`) of 10,000 objects alone would take most of that.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

from llamadesk.core.models.chat import MessageState, Role
from llamadesk.core.models.chat_history import ChatMessage, ChatPreset, ChatSession
from llamadesk.core.models.documents import Attachment, Source
from llamadesk.core.models.llama import SamplingParams, StopReason, Usage
from llamadesk.core.models.tools import ToolCall, ToolResult

M = TypeVar("M", bound=BaseModel)

# dict lookups: calling an Enum class costs more, and this runs for every message read
ROLES = {role.value: role for role in Role}
STATES = {state.value: state for state in MessageState}
STOP_REASONS = {reason.value: reason for reason in StopReason}


def trusted(cls: type[M], values: dict[str, Any], fields: frozenset[str] | None = None) -> M:
    """What `model_construct` does for a complete set of fields, in a fifth of the time.

    `fields` (every field name, shared between records of a frozen model) saves a set per object.
    """
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", fields if fields is not None else set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


@lru_cache(maxsize=256)
def sampling_from_json(data: str) -> SamplingParams:
    # Most answers share a handful of sampling settings: parse each once. Messages are
    # frozen records, so sharing one SamplingParams between them is safe in practice.
    return SamplingParams.model_validate_json(data)


def usage_from_json(data: str) -> Usage:
    return trusted(Usage, json.loads(data))


SESSION_COLUMNS = (
    "id, title, created_at, updated_at, model, system_prompt, preset, pinned, archived, active_leaf_id, tools, "
    "collections"
)
MESSAGE_COLUMNS = (
    "id, session_id, parent_id, role, content, reasoning, model, state, created_at, "
    "sampling, usage, stop_reason, error, tool_calls, tool_result, rating, attachments, sources"
)
_TOOL_CALLS = TypeAdapter(list[ToolCall])
_ATTACHMENTS = TypeAdapter(list[Attachment])
_SOURCES = TypeAdapter(list[Source])


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
        json.dumps(session.tools) if session.tools else None,
        json.dumps(session.collections) if session.collections else None,
    )


def session_from_row(row: sqlite3.Row | tuple[Any, ...]) -> ChatSession:
    return trusted(
        ChatSession,
        {
            "id": row[0],
            "title": row[1],
            "created_at": from_epoch(row[2]),
            "updated_at": from_epoch(row[3]),
            "model": row[4],
            "system_prompt": row[5],
            "preset": row[6],
            "pinned": bool(row[7]),
            "archived": bool(row[8]),
            "active_leaf_id": row[9],
            "tools": json.loads(row[10]) if row[10] else [],
            "collections": json.loads(row[11]) if row[11] else [],
        },
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
        _TOOL_CALLS.dump_json(message.tool_calls).decode() if message.tool_calls else None,
        message.tool_result.model_dump_json() if message.tool_result else None,
        message.rating,
        _ATTACHMENTS.dump_json(message.attachments).decode() if message.attachments else None,
        _SOURCES.dump_json(message.sources).decode() if message.sources else None,
    )


MESSAGE_FIELDS = tuple(column.strip() for column in MESSAGE_COLUMNS.split(","))
ALL_MESSAGE_FIELDS = frozenset(MESSAGE_FIELDS)


def message_from_row(row: sqlite3.Row | tuple[Any, ...]) -> ChatMessage:
    # The hottest path of opening a chat: columns are named like the fields, so zip them and
    # fix the few that need converting (see `trusted` for why there is no validation).
    values = dict(zip(MESSAGE_FIELDS, row, strict=True))
    values["role"] = ROLES[row[3]]
    values["state"] = STATES[row[7]]
    values["created_at"] = from_epoch(row[8])
    if row[9]:
        values["sampling"] = sampling_from_json(row[9])
    if row[10]:
        values["usage"] = usage_from_json(row[10])
    if row[11]:
        values["stop_reason"] = STOP_REASONS[row[11]]
    values["tool_calls"] = _TOOL_CALLS.validate_json(row[13]) if row[13] else []
    if row[14]:
        values["tool_result"] = ToolResult.model_validate_json(row[14])
    values["attachments"] = _ATTACHMENTS.validate_json(row[16]) if row[16] else []
    values["sources"] = _SOURCES.validate_json(row[17]) if row[17] else []
    return trusted(ChatMessage, values, ALL_MESSAGE_FIELDS)


@contextmanager
def paused_gc() -> Iterator[None]:
    """No garbage collection while thousands of records are built at once.

    Building a long chat allocates tens of thousands of objects, which sets off
    collections of the whole heap midway (measured: p95 of opening a 5,000-message
    chat 48 ms with them, 28 ms without). Nothing built here forms a cycle, so
    collecting once afterwards, as the interpreter does when it is back on, is enough.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def messages_from_rows(rows: list[Any]) -> list[ChatMessage]:
    with paused_gc():
        return [message_from_row(row) for row in rows]


def preset_from_data(data: str) -> ChatPreset:
    return ChatPreset.model_validate_json(data)
