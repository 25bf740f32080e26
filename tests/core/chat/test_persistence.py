"""Streaming answers are saved as they grow, off the token path, and survive a SIGKILL.

Answers here come from a plain function (the runtime's signature); the same
SIGKILL test with the real model is in test_chat_runtime.py.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from llamadesk.core.models.chat import MessageState, Role
from llamadesk.core.models.chat_history import ChatStartedEvent, SearchQuery
from llamadesk.core.services.chat import PERSIST_MAX_TOKENS, ChatService
from llamadesk.plugins.sqlite import SQLiteChatStore

HANG_GUARD_S = 20


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def saved_content(store, message_id: str) -> str:
    message = store.get_message(message_id)
    return message.content if message else ""


def test_saved_every_64_tokens_without_waiting_for_the_interval(
    service: ChatService, generator, config
) -> None:
    config.update({"chat": {"persist_interval_ms": 5000}})
    session = service.new_session(model="starter")
    generator.reply = lambda r: " ".join(f"t{i}" for i in range(150))
    events = []

    def check(i, token):
        answer_id = events[0].message_id
        if i == PERSIST_MAX_TOKENS - 1:
            assert saved_content(service.store, answer_id) == ""  # 63 tokens: not yet
        if i == PERSIST_MAX_TOKENS:
            expected = " ".join(f"t{n}" for n in range(PERSIST_MAX_TOKENS)) + " "
            wait_for(lambda: saved_content(service.store, answer_id) == expected, "the 64-token save")
            assert service.store.get_message(answer_id).state is MessageState.PARTIAL

    generator.before_token = check
    reply = service.send(session.id, "count", on_event=events.append)
    assert isinstance(events[0], ChatStartedEvent)
    assert service.store.get_message(reply.message.id).state is MessageState.COMPLETE


def test_saved_after_the_interval_even_with_few_tokens(service: ChatService, generator, config) -> None:
    config.update({"chat": {"persist_interval_ms": 50}})
    session = service.new_session(model="starter")
    generator.reply = lambda r: "slow trickle of words"
    events = []

    def check(i, token):
        if i == 2:
            answer_id = events[0].message_id
            wait_for(lambda: saved_content(service.store, answer_id) == "slow trickle ", "the interval save")

    generator.before_token = check
    service.send(session.id, "go", on_event=events.append)


def test_saves_run_on_the_writer_thread_not_the_token_path(store, config, generator) -> None:
    config.update({"chat": {"persist_interval_ms": 5000, "generate_titles": False}})
    threads: list[tuple[str, MessageState]] = []
    original = store.save_message

    def recording_save(message, **kw):
        threads.append((threading.current_thread().name, message.state))
        original(message, **kw)

    store.save_message = recording_save
    service = ChatService(store, config, generator)
    session = service.new_session(model="starter")
    generator.reply = lambda r: " ".join(["w"] * (PERSIST_MAX_TOKENS * 3))
    generating_thread = threading.current_thread().name
    # after each 64 tokens, wait for the writer to catch up, so the count of saves is exact
    generator.before_token = lambda i, token: (
        wait_for(lambda: len(threads) >= 2 + i // PERSIST_MAX_TOKENS, "a save")
        if i and i % PERSIST_MAX_TOKENS == 0
        else None
    )
    service.send(session.id, "go")
    partial_saves = [name for name, state in threads[2:-1]]
    assert len(partial_saves) == 2
    assert all(name.startswith("chat-writer-") for name in partial_saves)
    assert generating_thread not in partial_saves


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from llamadesk.core.models.commands import TokenEvent
    from llamadesk.core.models.llama import GenerationResult, StopReason
    from llamadesk.core.services.chat import ChatService
    from llamadesk.core.services.config import ConfigService
    from llamadesk.plugins.sqlite import SQLiteChatStore

    root = Path(sys.argv[1])
    config = ConfigService(root / "config.json")
    config.update({"chat": {"persist_interval_ms": 50, "generate_titles": False}})

    def endless(request, on_event, token):
        if request.messages[-1].content == "quick":
            on_event(TokenEvent(text="done"))
            return GenerationResult(model=request.model, content="done", stop_reason=StopReason.STOP)
        i = 0
        while True:  # until the process is killed
            on_event(TokenEvent(text=f"tok{i} "))
            i += 1
            time.sleep(0.002)

    service = ChatService(SQLiteChatStore(root / "chats.db"), config, endless)
    session = service.new_session(model="starter", title="Killed")
    service.send(session.id, "quick")
    print(session.id, flush=True)
    service.send(session.id, "stream forever")
    """
)


def test_sigkill_while_streaming_leaves_complete_messages_and_a_partial_one(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        session_id = child.stdout.readline().strip()
        assert session_id, "the child did not start"
        reader = sqlite3.connect(tmp_path / "chats.db")

        def streamed_enough() -> bool:
            row = reader.execute(
                "SELECT length(content) FROM messages WHERE state = 'partial' AND role = 'assistant'"
            ).fetchone()
            return bool(row and row[0] > 200)

        wait_for(streamed_enough, "the partial answer to be saved")
        reader.close()
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=HANG_GUARD_S) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    store = SQLiteChatStore(tmp_path / "chats.db")
    try:
        assert store.notices == []
        session = store.get_session(session_id)
        branch = store.get_branch(session.active_leaf_id)
        assert [(m.role, m.state) for m in branch] == [
            (Role.USER, MessageState.COMPLETE),
            (Role.ASSISTANT, MessageState.COMPLETE),
            (Role.USER, MessageState.COMPLETE),
            (Role.ASSISTANT, MessageState.PARTIAL),
        ]
        assert [m.content for m in branch[:3]] == ["quick", "done", "stream forever"]
        partial = branch[-1].content
        tokens = partial.split()
        assert tokens == [f"tok{i}" for i in range(len(tokens))]  # a clean prefix of what streamed
        assert store.search(SearchQuery(text="tok0")).hits  # the partial text is searchable too
    finally:
        store.close()
