"""Fixtures for the SQLite chat store: a fresh store file and helpers to fill it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import ChatMessage, ChatSession
from llamadesk.plugins.sqlite import SQLiteChatStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "chats.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SQLiteChatStore]:
    chat_store = SQLiteChatStore(db_path)
    yield chat_store
    chat_store.close()


def make_session(store: SQLiteChatStore, title: str = "A chat", minutes: int = 0) -> ChatSession:
    at = T0 + timedelta(minutes=minutes)
    session = ChatSession(id=uuid.uuid4().hex, title=title, created_at=at, updated_at=at)
    store.save_session(session)
    return session


def add_message(
    store: SQLiteChatStore,
    session: ChatSession,
    content: str,
    parent: ChatMessage | None = None,
    role: Role = Role.USER,
) -> ChatMessage:
    message = ChatMessage(
        id=uuid.uuid4().hex,
        session_id=session.id,
        parent_id=parent.id if parent else None,
        role=role,
        content=content,
        created_at=datetime.now(UTC),
    )
    store.save_message(message, make_active=True)
    return message
