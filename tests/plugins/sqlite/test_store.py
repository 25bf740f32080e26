"""Sessions and message trees in the SQLite store."""

from __future__ import annotations

import sqlite3

from llamadesk.core.models.chat import MessageState, Role
from llamadesk.core.models.llama import SamplingParams, StopReason, Usage
from llamadesk.plugins.sqlite import SQLiteChatStore

from .conftest import add_message, make_session


def test_database_is_wal_with_foreign_keys(store: SQLiteChatStore, db_path) -> None:
    other = sqlite3.connect(db_path)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.read(lambda db: db.execute("PRAGMA foreign_keys").fetchone())[0] == 1


def test_session_round_trip_and_update(store: SQLiteChatStore) -> None:
    session = make_session(store, "First")
    assert store.get_session(session.id) == session
    pinned = session.model_copy(update={"pinned": True, "title": "Renamed", "model": "starter"})
    store.save_session(pinned)
    assert store.get_session(session.id) == pinned
    assert store.get_session("nope") is None


def test_updating_a_session_keeps_its_messages(store: SQLiteChatStore) -> None:
    session = make_session(store)
    add_message(store, session, "hello")
    store.save_session(session.model_copy(update={"title": "x"}))
    assert len(store.get_tree(session.id)) == 1


def test_list_sessions_pinned_then_newest_with_paging(store: SQLiteChatStore) -> None:
    sessions = [make_session(store, f"s{i}", minutes=i) for i in range(5)]
    store.save_session(sessions[1].model_copy(update={"pinned": True}))
    store.save_session(sessions[4].model_copy(update={"archived": True}))
    page = store.list_sessions(offset=0, limit=3, include_archived=False)
    assert [s.title for s in page.sessions] == ["s1", "s3", "s2"]
    assert page.total == 4
    rest = store.list_sessions(offset=3, limit=3, include_archived=False)
    assert [s.title for s in rest.sessions] == ["s0"]
    assert store.list_sessions(offset=0, limit=10, include_archived=True).total == 5


def test_message_keeps_every_field(store: SQLiteChatStore) -> None:
    session = make_session(store)
    question = add_message(store, session, "q")
    answer = question.model_copy(
        update={
            "id": "a1",
            "parent_id": question.id,
            "role": Role.ASSISTANT,
            "content": "answer",
            "reasoning": "thinking",
            "model": "/m.gguf",
            "state": MessageState.COMPLETE,
            "sampling": SamplingParams(temperature=0.1, stop=["x"]),
            "usage": Usage(prompt_tokens=3, completion_tokens=5, tokens_per_second=100.5),
            "stop_reason": StopReason.LENGTH,
        }
    )
    store.save_message(answer, make_active=True)
    assert store.get_message("a1") == answer
    assert store.get_session(session.id).active_leaf_id == "a1"


def test_save_message_updates_in_place(store: SQLiteChatStore) -> None:
    session = make_session(store)
    message = add_message(store, session, "part")
    store.save_message(message.model_copy(update={"content": "part and more", "state": MessageState.PARTIAL}))
    tree = store.get_tree(session.id)
    assert [(m.content, m.state) for m in tree] == [("part and more", MessageState.PARTIAL)]


def test_branches_children_and_newest_leaf(store: SQLiteChatStore) -> None:
    session = make_session(store)
    q = add_message(store, session, "q")
    a1 = add_message(store, session, "a1", q, Role.ASSISTANT)
    a2 = add_message(store, session, "a2", q, Role.ASSISTANT)
    q2 = add_message(store, session, "q2", a1)
    assert [m.content for m in store.get_branch(q2.id)] == ["q", "a1", "q2"]
    assert [m.content for m in store.get_branch(a2.id)] == ["q", "a2"]
    messages, siblings, total = store.get_active_branch(session.id, q2.id)
    assert [m.content for m in messages] == ["q", "a1", "q2"] and total == 3
    assert siblings == {a1.id: [a1.id, a2.id]}
    tail, _, total = store.get_active_branch(session.id, q2.id, limit=2)
    assert [m.content for m in tail] == ["a1", "q2"] and total == 3
    assert store.newest_leaf(q.id) == a2.id
    assert store.newest_leaf(a1.id) == q2.id


def test_delete_session_removes_its_messages_and_their_index(store: SQLiteChatStore) -> None:
    session = make_session(store)
    keep = make_session(store)
    add_message(store, session, "walrus")
    add_message(store, keep, "walrus too")
    assert store.delete_session(session.id)
    assert not store.delete_session(session.id)
    assert store.get_tree(session.id) == []
    count = store._db.read(
        lambda db: db.execute(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'walrus'"
        ).fetchone()
    )
    assert count[0] == 1


def test_store_reopens_with_its_data(db_path) -> None:
    first = SQLiteChatStore(db_path)
    session = make_session(first)
    add_message(first, session, "persisted")
    first.close()
    again = SQLiteChatStore(db_path)
    try:
        assert [m.content for m in again.get_tree(session.id)] == ["persisted"]
        assert again.notices == []
    finally:
        again.close()
