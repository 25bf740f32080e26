"""An answer that failed, in the real window: its error shows with Retry under its text and
above its action bar (the message's last row), and Retry writes a new version of it.

The failed answer is a stored one: a chat exported with an answer in the error state is
imported through `chat.import`, as a chat saved on another machine would be."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from llamadesk.core.models.chat import MessageState, Role
from llamadesk.core.models.chat_history import ChatExport, ChatMessage, ChatSession
from llamadesk.core.models.chat_params import ImportParams, SessionParams
from llamadesk.core.models.commands import Empty

from .conftest import ECHO, pump

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def failed_chat() -> str:
    """A chat whose only answer failed, as chat.export writes it."""
    session = ChatSession(id="retry-chat", title="Failed", created_at=WHEN, updated_at=WHEN, model=ECHO)
    question = ChatMessage(
        id="retry-q", session_id=session.id, role=Role.USER, content="say it again", created_at=WHEN
    )
    answer = ChatMessage(
        id="retry-a",
        session_id=session.id,
        parent_id=question.id,
        role=Role.ASSISTANT,
        content="say",
        state=MessageState.ERROR,
        error="the model stopped answering",
        model=ECHO,
        created_at=WHEN,
    )
    export = ChatExport(
        session=session.model_copy(update={"active_leaf_id": answer.id}), messages=[question, answer]
    )
    return export.model_dump_json()


def test_a_failed_answers_retry_sits_above_its_action_bar_and_answers_again(
    ui_app: Any, echo_loaded: Any
) -> None:
    chat = echo_loaded
    imported = ui_app.bridge.invoke("chat.import", ImportParams(content=failed_chat()), ChatSession)
    try:
        retry_the_failed_answer(chat, imported.id)
    finally:
        chat.new_chat()
        ui_app.bridge.invoke("chat.delete", SessionParams(session_id=imported.id), Empty)
        chat.sessions.refresh()


def retry_the_failed_answer(chat: Any, session_id: str) -> None:
    chat.open_session(session_id)
    pump(lambda: chat.session_id == session_id and len(chat.messages) == 2)
    # The chat's model shows ready once the app's status has it loaded (a poll after the load):
    # until then Retry, like Send, does nothing.
    pump(lambda: chat.model_state == "ready")
    failed = chat.messages[-1]
    data = chat.ids.messages.data
    mine = [r["viewclass"] for r in data if r["message_id"] == failed.id]
    assert mine == ["MessageHeader", "MessageBody", "ErrorRow", "MessageActionBar"]

    def shown(kind: str) -> list[Any]:
        views = chat.ids.messages.layout_manager.view_indices  # replaced at each layout
        return [v for v in views if type(v).__name__ == kind and v.message_id == failed.id]

    pump(lambda: shown("ErrorRow") and shown("MessageActionBar"))
    error, bar = shown("ErrorRow")[0], shown("MessageActionBar")[0]
    assert error.text == "the model stopped answering" and bar.top <= error.y + 1
    retry = next(w for w in error.walk() if getattr(w, "text", "") == "Retry")
    retry.dispatch("on_release")
    assert chat.streaming  # at once: the echo model may have answered by the next frame
    pump(lambda: not chat.streaming)
    pump(lambda: chat.messages[-1].id != failed.id and chat.messages[-1].content == "say it again")
    assert chat.messages[-1].state is MessageState.COMPLETE
    assert chat.ids.messages.data[-1]["branch_text"] == "2/2"  # the failed one is kept as version 1
