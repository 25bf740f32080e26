"""Chatting in the real window with the real starter model: send, stream, stop, regenerate,
branch arrows, edit, search. One model load serves the whole module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llamadesk.core.models.chat import Role
from llamadesk.core.models.llama import ModelParams, SamplingParams, StopReason

from .conftest import pump

pytestmark = pytest.mark.slow

GUARD_S = 180
SHORT = SamplingParams(max_tokens=24, temperature=0)


@pytest.fixture(scope="module")
def chat(ui_app: Any, starter_model: Path) -> Iterator[Any]:
    assert "chat.send" in ui_app.commands, "the chat commands are missing"
    screen = ui_app.screens["chat"]
    ui_app.show_screen("chat")
    screen.sampling = SHORT
    screen.load_model(str(starter_model))
    pump(lambda: screen.model_state in ("ready", "error"), timeout=GUARD_S)
    assert screen.model_state == "ready", screen.hint
    yield screen
    screen.sampling = None
    screen.stop()
    ui_app.commands.invoke("runtime.unload", ModelParams(model=str(starter_model)))


def rows(screen: Any, viewclass: str) -> list[dict[str, Any]]:
    return [r for r in screen.ids.messages.data if r["viewclass"] == viewclass]


def send(screen: Any, text: str) -> None:
    screen.ids.composer.text = text
    screen.ids.composer.dispatch("on_submit")  # what Enter does
    pump(lambda: screen.streaming)


def test_send_streams_the_answer(chat: Any, ui_app: Any) -> None:
    chat.new_chat()
    send(chat, "What is the capital of France?")
    seen_tokens = []
    pump(
        lambda: (seen_tokens.append(chat.live.tokens) if chat.live else None) or not chat.streaming,
        timeout=GUARD_S,
    )
    assert max(seen_tokens) > 0  # the answer arrived in pieces while streaming
    pump(lambda: len(rows(chat, "MessageMeta")) == 2 and rows(chat, "MessageMeta")[1]["message_id"] != "live")
    user, answer = chat.messages
    assert user.content == "What is the capital of France?"
    assert answer.role is Role.ASSISTANT and answer.content.strip()
    assert rows(chat, "MessageBody")[-1]["source"] == answer.content
    assert "tok/s" in rows(chat, "MessageMeta")[1]["footer"]
    pump(lambda: any(s["session_id"] == chat.session_id for s in ui_app.shell.ids.sidebar.sessions))


def test_the_chat_is_given_back_while_its_title_is_written(chat: Any, ui_app: Any) -> None:
    """The answer stored, Send and Regenerate are back at once; the title arrives after, and a
    message sent meanwhile streams without the title's end disturbing it."""
    chat.new_chat()
    send(chat, "Name three colours.")
    first = chat.live.handle
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    assert not first.finished  # the chat.send command is still writing the title
    assert chat.session_title == "New chat"
    send(chat, "And three fruits?")
    second = chat.live.handle
    pump(lambda: first.finished, timeout=GUARD_S)
    assert chat.session_title != "New chat"  # the title came, and the second answer streams on
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    pump(lambda: second.finished, timeout=GUARD_S)
    pump(lambda: len(chat.messages) == 4, timeout=GUARD_S)
    assert [m.role for m in chat.messages] == [Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT]
    assert chat.messages[2].content == "And three fruits?" and chat.messages[3].content.strip()


def test_escape_stops_mid_stream(chat: Any, ui_app: Any) -> None:
    from kivy.core.window import Window

    prompt = "Write a very long story about a lighthouse keeper."
    chat.sampling = SamplingParams(max_tokens=2000, temperature=0)
    try:
        send(chat, prompt)
        pump(lambda: chat.live is not None and chat.live.tokens >= 5, timeout=GUARD_S)
        Window.dispatch("on_key_down", 27, 0, "", [])
        pump(lambda: not chat.streaming, timeout=GUARD_S)
    finally:
        chat.sampling = SHORT
    # The transcript reloads after the stop; until then it still ends with the previous answer.
    pump(lambda: len(chat.messages) >= 2 and chat.messages[-2].content == prompt)
    answer = chat.messages[-1]
    assert answer.role is Role.ASSISTANT
    assert answer.content.strip()  # what was written before the stop is kept
    assert answer.stop_reason is StopReason.CANCELLED


def test_regenerate_and_switch_branches(chat: Any) -> None:
    answer = chat.messages[-1]
    chat.regenerate(answer.id)
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    pump(lambda: rows(chat, "MessageMeta")[-1]["branch_text"] == "2/2")
    meta = rows(chat, "MessageMeta")[-1]
    assert meta["can_prev"] and not meta["can_next"]
    chat.switch_branch(meta["message_id"], -1)
    pump(lambda: rows(chat, "MessageMeta")[-1]["branch_text"] == "1/2")
    assert chat.messages[-1].id == answer.id


def test_edit_makes_a_sibling_and_answers_it(chat: Any) -> None:
    user = chat.messages[-2]
    chat.submit_edit(user.id, "Write one short sentence about the sea.")
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    pump(lambda: chat.messages[-2].content == "Write one short sentence about the sea.")
    user_meta = rows(chat, "MessageMeta")[-2]
    assert user_meta["branch_text"] == "2/2"
    assert chat.messages[-1].role is Role.ASSISTANT and chat.messages[-1].content.strip()


def test_search_finds_the_chat(chat: Any, ui_app: Any) -> None:
    sidebar = ui_app.shell.ids.sidebar
    first = chat.session_id
    chat.new_chat()
    send(chat, "Tell me about volcanoes.")
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    sidebar.ids.search.text = "lighthous"  # as typed: prefix search
    pump(lambda: [s["session_id"] for s in sidebar.sessions] == [first])
    sidebar.ids.search.text = ""
    pump(lambda: len(sidebar.sessions) >= 2)
