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
BAR = "MessageActionBar"  # a message's last row: its branch arrows, counters and buttons


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
    pump(lambda: len(rows(chat, BAR)) == 2 and rows(chat, BAR)[1]["message_id"] != "live")
    user, answer = chat.messages
    assert user.content == "What is the capital of France?"
    assert answer.role is Role.ASSISTANT and answer.content.strip()
    assert rows(chat, "MessageBody")[-1]["source"] == answer.content
    assert "tok/s" in rows(chat, BAR)[1]["footer"]
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
    pump(lambda: rows(chat, BAR)[-1]["branch_text"] == "2/2")
    bar = rows(chat, BAR)[-1]
    assert bar["can_prev"] and not bar["can_next"]
    chat.switch_branch(bar["message_id"], -1)
    pump(lambda: rows(chat, BAR)[-1]["branch_text"] == "1/2")
    assert chat.messages[-1].id == answer.id


def test_edit_makes_a_sibling_and_answers_it(chat: Any) -> None:
    user = chat.messages[-2]
    chat.submit_edit(user.id, "Write one short sentence about the sea.")
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    pump(lambda: chat.messages[-2].content == "Write one short sentence about the sea.")
    user_bar = rows(chat, BAR)[-2]
    assert user_bar["branch_text"] == "2/2"
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


def shown_views(screen: Any) -> dict[int, Any]:
    return {index: view for view, index in screen.ids.messages.layout_manager.view_indices.items()}


def test_a_long_answers_buttons_are_under_it_and_regenerate_it(chat: Any) -> None:
    """While the answer streams its action bar is its last row (the live counters, its buttons
    disabled), below the chunk rows added above it; stored, the bar is under the whole answer,
    shown without scrolling back up, and its Regenerate writes a second version."""
    from kivy.tests.common import UnitTestTouch

    chat.new_chat()
    chat.sampling = SamplingParams(max_tokens=160, temperature=0)
    seen: list[int] = []  # the answer's body rows, each frame it streamed
    drawn: list[str] = []  # the bar's label, each frame it was shown under the tail

    def bar_last_while_streaming() -> bool:
        data, views = chat.ids.messages.data, shown_views(chat)
        if chat.live is not None and not chat.live.finished:
            last = len(data) - 1
            assert data[last]["viewclass"] == BAR and data[last]["message_id"] == "live"
            seen.append(sum(r["viewclass"] == "MessageBody" and r["message_id"] == "live" for r in data))
            bar, tail = views.get(last), views.get(last - 1)
            if bar is not None and tail is not None and bar.height > 0:
                assert bar.top <= tail.y + 1  # drawn under the answer's last row
                assert bar.ids.regenerate.disabled and bar.ids.like.disabled
                drawn.append(bar.ids.details.text)
        return not chat.streaming

    try:
        send(chat, "Give me a Python function that adds two numbers, with a short explanation.")
        pump(bar_last_while_streaming, timeout=GUARD_S)
    finally:
        chat.sampling = SHORT
    assert max(seen) >= 2  # the answer streamed in several rows, the bar kept below them all
    assert any("tokens" in text for text in drawn)  # the live counters, under the answer
    pump(lambda: len(chat.messages) == 2 and chat.messages[-1].content)  # the stored transcript
    answer = chat.messages[-1]
    pump(lambda: chat.ids.messages.data[-1]["message_id"] == answer.id)
    data = chat.ids.messages.data
    mine = [i for i, r in enumerate(data) if r["message_id"] == answer.id]
    assert [data[i]["viewclass"] for i in mine] == ["MessageHeader", "MessageBody", BAR]
    assert "tokens" in data[mine[-1]]["footer"]

    # Scrolled to the end as it was stored: the bar shows under the answer, no scrolling back.
    pump(lambda: mine[-1] in shown_views(chat) and mine[1] in shown_views(chat))
    bar, body = shown_views(chat)[mine[-1]], shown_views(chat)[mine[1]]
    assert bar.top <= body.y + 1  # under the answer
    rv = chat.ids.messages
    list_bottom, list_top = rv.to_window(rv.x, rv.y)[1], rv.to_window(rv.x, rv.top)[1]
    assert (
        list_bottom - 1 <= bar.to_window(bar.x, bar.y)[1] < bar.to_window(bar.x, bar.top)[1] <= list_top + 1
    )
    regenerate = bar.ids.regenerate
    assert regenerate.text == "Regenerate" and not regenerate.disabled
    touch = UnitTestTouch(*regenerate.to_window(regenerate.center_x, regenerate.center_y))
    touch.touch_down()
    pump(frames=2)
    touch.touch_up()
    pump(lambda: chat.streaming)
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    pump(lambda: chat.ids.messages.data[-1]["branch_text"] == "2/2")
    assert chat.messages[-1].id != answer.id and chat.messages[-1].parent_id == answer.parent_id
