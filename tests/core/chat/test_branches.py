"""Sending, regenerating, editing and switching branches (answers from a plain function)."""

from __future__ import annotations

import threading

import pytest

from llamadesk.core.errors import InvalidParams, NotFound, Unavailable
from llamadesk.core.models.chat import MessageState, Role
from llamadesk.core.models.chat_history import ChatStartedEvent
from llamadesk.core.models.commands import TokenEvent
from llamadesk.core.models.llama import StopReason
from llamadesk.core.services.chat import ChatService


def shown(service: ChatService, session_id: str) -> list[str]:
    return [message.content for message in service.transcript(session_id).messages]


def test_send_saves_both_messages_and_streams_events(service: ChatService, generator) -> None:
    session = service.new_session(model="starter")
    events = []
    reply = service.send(session.id, "hello", on_event=events.append)
    assert reply.message.content == "answer 1"
    assert reply.message.state is MessageState.COMPLETE
    assert reply.message.usage.completion_tokens == 2
    assert reply.message.sampling == service._config.config.sampling
    assert isinstance(events[0], ChatStartedEvent) and events[0].message_id == reply.message.id
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == "answer 1"
    assert shown(service, session.id) == ["hello", "answer 1"]
    assert generator.requests[0].model == "starter"


def test_the_prompt_is_the_system_prompt_and_the_active_branch(service: ChatService, generator) -> None:
    session = service.new_session(model="starter", system_prompt="Be brief.")
    service.send(session.id, "one")
    service.send(session.id, "two")
    turns = [(t.role, t.content) for t in generator.requests[-1].messages]
    assert turns == [
        (Role.SYSTEM, "Be brief."),
        (Role.USER, "one"),
        (Role.ASSISTANT, "answer 1"),
        (Role.USER, "two"),
    ]


def test_regenerate_edit_and_switch_branch(service: ChatService, generator) -> None:
    session = service.new_session(model="starter")
    first = service.send(session.id, "question")
    second = service.regenerate(session.id)
    assert second.message.parent_id == first.user_message.id
    transcript = service.transcript(session.id)
    assert transcript.messages[-1].id == second.message.id
    assert transcript.siblings == {second.message.id: [first.message.id, second.message.id]}

    service.send(session.id, "follow-up")
    assert shown(service, session.id) == ["question", "answer 2", "follow-up", "answer 3"]

    # back to the first answer: its branch has no follow-up
    service.switch_branch(session.id, first.message.id)
    assert shown(service, session.id) == ["question", "answer 1"]

    # editing the question makes a sibling branch and answers it
    edit = service.edit(session.id, first.user_message.id, "better question")
    assert edit.reply is not None and edit.edited.parent_id is None
    assert shown(service, session.id) == ["better question", "answer 4"]
    siblings = service.transcript(session.id).siblings
    assert siblings[edit.edited.id] == [first.user_message.id, edit.edited.id]
    assert [t.content for t in generator.requests[-1].messages] == ["better question"]

    # switching to the original question follows its newest answer down to the leaf
    service.switch_branch(session.id, first.user_message.id)
    assert shown(service, session.id) == ["question", "answer 2", "follow-up", "answer 3"]


def test_editing_an_answer_makes_a_branch_without_generating(service: ChatService, generator) -> None:
    session = service.new_session(model="starter")
    reply = service.send(session.id, "q")
    result = service.edit(session.id, reply.message.id, "a better answer")
    assert result.reply is None and result.edited.role is Role.ASSISTANT
    assert shown(service, session.id) == ["q", "a better answer"]
    assert len(generator.requests) == 1


def test_regenerate_a_user_message_whose_answer_failed(service: ChatService, generator) -> None:
    session = service.new_session(model="starter")

    def fail(request):
        raise RuntimeError("model crashed")

    generator.reply = fail
    with pytest.raises(RuntimeError):
        service.send(session.id, "q")
    transcript = service.transcript(session.id)
    failed = transcript.messages[-1]
    assert failed.state is MessageState.ERROR and "model crashed" in failed.error
    generator.reply = lambda r: "fine now"
    reply = service.regenerate(session.id, transcript.messages[0].id)
    assert reply.message.content == "fine now"
    assert transcript.messages[0].id == reply.user_message.id


def test_mistakes_are_clear_errors(service: ChatService) -> None:
    session = service.new_session()
    with pytest.raises(InvalidParams, match="model"):
        service.send(session.id, "no model yet")
    assert service.transcript(session.id).messages == []  # nothing saved
    with pytest.raises(NotFound):
        service.send("missing", "hi")
    with pytest.raises(InvalidParams):
        service.regenerate(session.id)
    other = service.new_session(model="starter")
    reply = service.send(other.id, "hi")
    with pytest.raises(NotFound):
        service.switch_branch(session.id, reply.message.id)  # a message of another chat


def test_no_runtime_is_unavailable(store, config) -> None:
    service = ChatService(store, config, generate=None)
    session = service.new_session(model="starter")
    with pytest.raises(Unavailable):
        service.send(session.id, "hi")


def test_stop_keeps_the_text_so_far(service: ChatService, generator) -> None:
    session = service.new_session(model="starter")
    generator.reply = lambda r: "one two three four five six"

    def stop_at_three(i, token):
        if i == 3:
            assert service.is_generating(session.id)
            assert service.stop(session.id)

    generator.before_token = stop_at_three
    reply = service.send(session.id, "count")
    assert reply.stop_reason is StopReason.CANCELLED
    assert reply.message.content == "one two three "
    assert reply.message.state is MessageState.COMPLETE
    assert not service.is_generating(session.id)
    assert not service.stop(session.id)


def test_one_answer_at_a_time_per_chat(service: ChatService, generator) -> None:
    session = service.new_session(model="starter")

    def try_again(i, token):
        if i == 0:
            with pytest.raises(Unavailable):
                service.regenerate(session.id)

    generator.before_token = try_again
    service.send(session.id, "q")


def test_title_after_first_exchange(service: ChatService, generator, config) -> None:
    config.update({"chat": {"generate_titles": True}})
    session = service.new_session(model="starter")
    generator.reply = lambda r: (
        '"Title: Greetings and salutations."' if "title" in r.messages[-1].content else "hi"
    )
    events = []
    reply = service.send(session.id, "hello", on_event=events.append)
    assert reply.title == "Greetings and salutations"
    assert service.get_session(session.id).title == "Greetings and salutations"
    assert events[-1].kind == "chat.title"
    service.send(session.id, "again")
    assert len(generator.requests) == 3  # no second title


def test_delete_and_update(service: ChatService) -> None:
    session = service.new_session(model="starter")
    service.update_session(session.id, pinned=True, title="Kept")
    assert service.get_session(session.id).pinned
    with pytest.raises(InvalidParams):
        service.update_session(session.id, colour="red")
    service.delete_session(session.id)
    with pytest.raises(NotFound):
        service.delete_session(session.id)


def test_deleting_a_chat_stops_its_answer_first(service: ChatService, generator) -> None:
    session = service.new_session(model="starter")
    generator.reply = lambda r: "one two three four"
    outcome = {}

    def delete_midway(i, token):
        if i == 1:
            deleter = threading.Thread(target=lambda: outcome.update(done=service.delete_session(session.id)))
            deleter.start()
            assert token.wait(10), "delete did not cancel the answer"
            outcome["thread"] = deleter

    generator.before_token = delete_midway
    reply = service.send(session.id, "go")
    outcome["thread"].join(10)
    assert "done" in outcome and reply.stop_reason is StopReason.CANCELLED
    with pytest.raises(NotFound):
        service.get_session(session.id)
    assert service.store.get_message(reply.message.id) is None
