"""An answer streaming when the disk fills up: kept in memory, the user told, saved when space
returns (or exported on request); what was saved before is untouched. A real tmpfs and chats.db."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from llamadesk.core.errors import StorageError
from llamadesk.core.models.chat import MessageState
from llamadesk.core.models.chat_history import ChatUnsavedEvent
from llamadesk.core.services.chat import ChatService
from llamadesk.plugins.sqlite import SQLiteChatStore
from tests.small_disk import MB, SmallDisk, small_disk

ANSWER_WORDS = 4000  # ~60 KB: every save of it writes new pages to the WAL


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path / "disk", 8 * MB) as mounted:
        yield mounted


@pytest.fixture
def full_disk_service(disk: SmallDisk, config, generator, monkeypatch) -> Iterator[ChatService]:
    monkeypatch.setattr("llamadesk.core.services.chat_unsaved.RETRY_EVERY_S", 0.2)
    config.update({"chat": {"generate_titles": False, "persist_interval_ms": 50}})
    store = SQLiteChatStore(disk.root / "chats.db")
    service = ChatService(store, config, generator)
    yield service
    service.close()


def rows(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("SELECT id, content, state FROM messages ORDER BY created_at, id").fetchall()


def test_an_answer_streaming_when_the_disk_fills_is_kept_and_saved_later(
    full_disk_service: ChatService, disk: SmallDisk, generator, tmp_path: Path
) -> None:
    service = full_disk_service
    session = service.new_session(model="starter")
    service.send(session.id, "first question")  # saved before the disk fills
    before = rows(disk.root / "chats.db")
    assert len(before) == 2

    words = [f"word{i:05d}" for i in range(ANSWER_WORDS)]
    generator.reply = lambda r: " ".join(words)

    def fill_then_trickle(i: int, token) -> None:
        if i == 200:
            disk.fill()  # another program takes every free byte mid-answer
        if i % 500 == 0:
            time.sleep(0.06)  # let the writer thread try to save a few times meanwhile

    generator.before_token = fill_then_trickle
    events: list[object] = []
    reply = service.send(session.id, "a long answer please", on_event=events.append)

    told = [e for e in events if isinstance(e, ChatUnsavedEvent)]
    assert len(told) == 1 and "is full" in told[0].reason and "\n" not in told[0].reason
    assert not reply.saved and reply.unsaved_reason and "is full" in reply.unsaved_reason
    assert reply.message.content == " ".join(words)  # the whole answer, in memory
    unsaved = service.unsaved.snapshot()
    assert reply.message.id in {m.id for m in unsaved.messages}

    # Nothing already saved was damaged.
    with sqlite3.connect(f"file:{disk.root / 'chats.db'}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert rows(disk.root / "chats.db")[:2] == before

    # Exported on request, to another disk.
    target = tmp_path / "elsewhere" / "unsaved.json"
    exported = service.unsaved_messages(save=True, export_to=target)
    assert exported.exported_to == str(target)
    document = json.loads(target.read_text())
    assert any(m["content"] == " ".join(words) for m in document["messages"])

    # Space returns: the side thread saves it without being asked.
    disk.release()
    deadline = time.monotonic() + 10
    while service.unsaved.snapshot().messages:
        assert time.monotonic() < deadline, "the kept answer was not saved after space returned"
        time.sleep(0.05)
    saved = service.store.get_message(reply.message.id)
    assert saved is not None and saved.content == " ".join(words) and saved.state is MessageState.COMPLETE
    assert service.get_session(session.id).active_leaf_id == reply.message.id


def test_a_store_that_cannot_open_on_a_full_disk_is_left_as_it_is(disk: SmallDisk) -> None:
    path = disk.root / "chats.db"
    store = SQLiteChatStore(path)
    store.close()
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    original = path.read_bytes()
    disk.fill()
    with pytest.raises(StorageError) as refused:  # not taken for a corrupt file and moved aside
        SQLiteChatStore(path)
    assert "\n" not in refused.value.message
    assert path.read_bytes() == original
    assert not list(disk.root.glob("chats.db.corrupt-*"))
