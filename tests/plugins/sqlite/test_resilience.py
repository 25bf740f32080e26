"""A corrupt file is kept aside, and two processes writing at once lose nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from llamadesk.core.models.chat_history import SearchQuery
from llamadesk.plugins.sqlite import SQLiteChatStore

from .conftest import add_message, make_session


def test_garbage_file_is_reported_kept_aside_and_replaced(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not a database, it is a grocery list\n" * 200
    db_path.write_bytes(garbage)
    store = SQLiteChatStore(db_path)
    try:
        assert len(store.notices) == 1
        assert "could not be read" in store.notices[0]
        kept = list(db_path.parent.glob("chats.db.corrupt-*"))
        assert len(kept) == 1 and kept[0].read_bytes() == garbage
        assert str(kept[0]) in store.notices[0]
        session = make_session(store)  # the new database works
        add_message(store, session, "fresh start")
    finally:
        store.close()


def test_truncated_database_is_replaced(db_path: Path) -> None:
    store = SQLiteChatStore(db_path)
    add_message(store, make_session(store), "soon lost")
    store.close()
    data = db_path.read_bytes()
    db_path.write_bytes(data[:100] + b"\xff" * 2000)  # header survives, schema pages do not
    reopened = SQLiteChatStore(db_path)
    try:
        assert reopened.notices, "the damage must be reported"
        assert list(db_path.parent.glob("chats.db.corrupt-*"))
        assert reopened.list_sessions(offset=0, limit=10, include_archived=True).total == 0
    finally:
        reopened.close()


WRITER = textwrap.dedent(
    """
    import sys, uuid
    from datetime import UTC, datetime
    from pathlib import Path
    from llamadesk.core.models.chat import Role
    from llamadesk.core.models.chat_history import ChatMessage, ChatSession
    from llamadesk.plugins.sqlite import SQLiteChatStore

    path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = SQLiteChatStore(path)
    now = datetime.now(UTC)
    session = ChatSession(id=uuid.uuid4().hex, title=name, created_at=now, updated_at=now)
    store.save_session(session)
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    parent = None
    for i in range(count):
        message = ChatMessage(id=uuid.uuid4().hex, session_id=session.id, parent_id=parent,
                              role=Role.USER, content=f"{name} message {i}", created_at=datetime.now(UTC))
        store.save_message(message, make_active=True)
        parent = message.id
        if i % 10 == 0:
            store.save_session(store.get_session(session.id).model_copy(update={"title": f"{name} {i}"}))
    store.close()
    """
)


def test_two_processes_writing_at_once_lose_nothing(db_path: Path) -> None:
    SQLiteChatStore(db_path).close()  # migrations done; both writers open an existing db
    count = 300
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), name, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("ui", "cli")
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        assert proc.wait(timeout=120) == 0

    store = SQLiteChatStore(db_path)
    try:
        sessions = store.list_sessions(offset=0, limit=10, include_archived=True).sessions
        assert sorted(s.title.split()[0] for s in sessions) == ["cli", "ui"]
        for session in sessions:
            branch = store.get_branch(session.active_leaf_id)
            assert len(branch) == count
            name = session.title.split()[0]
            assert [m.content for m in branch] == [f"{name} message {i}" for i in range(count)]
        hits = store.search(SearchQuery(text="message", limit=200)).hits
        assert len(hits) == 200  # the index took every write of both processes
    finally:
        store.close()
