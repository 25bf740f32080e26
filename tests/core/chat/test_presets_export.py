"""Presets (built-in and user), and export/import round trips."""

from __future__ import annotations

import json

import pytest

from llamadesk.core.errors import AlreadyExists, InvalidParams, NotFound
from llamadesk.core.models.chat_history import PresetSpec
from llamadesk.core.models.llama import LoadOptions, SamplingParams
from llamadesk.core.services.chat import ChatService


def test_builtin_and_user_presets(service: ChatService, generator) -> None:
    names = [p.name for p in service.presets.list()]
    assert names[:4] == ["balanced", "precise", "creative", "coder"]
    assert all(p.builtin for p in service.presets.list())

    spec = PresetSpec(
        name="pirate",
        description="Arr",
        system_prompt="Talk like a pirate.",
        sampling=SamplingParams(temperature=0.7, seed=3),
        load=LoadOptions(context_size=2048),
    )
    saved = service.presets.save(spec)
    assert not saved.builtin
    assert service.presets.get("pirate") == saved
    assert service.store.list_presets() == [saved]

    session = service.new_session(model="starter", preset="pirate")
    assert session.system_prompt == "Talk like a pirate."
    service.send(session.id, "hello")
    assert generator.requests[-1].sampling == spec.sampling
    assert generator.requests[-1].messages[0].content == "Talk like a pirate."

    override = SamplingParams(temperature=0)
    service.send(session.id, "again", sampling=override)
    assert generator.requests[-1].sampling == override

    service.update_session(session.id, preset="precise")
    service.send(session.id, "precisely")
    assert generator.requests[-1].sampling.temperature == 0.2

    with pytest.raises(AlreadyExists):
        service.presets.save(PresetSpec(name="precise"))
    with pytest.raises(InvalidParams):
        service.presets.delete("coder")
    service.presets.delete("pirate")
    with pytest.raises(NotFound):
        service.presets.delete("pirate")
    with pytest.raises(NotFound):
        service.new_session(preset="pirate")


def build_tree(service: ChatService) -> str:
    session = service.new_session(model="starter", system_prompt="sys", title="Tree")
    first = service.send(session.id, "question")
    service.regenerate(session.id)
    service.send(session.id, "follow-up with *markdown*")
    service.edit(session.id, first.user_message.id, "edited question")
    return session.id


def test_json_round_trip_keeps_every_branch(service: ChatService) -> None:
    session_id = build_tree(service)
    exported = service.export(session_id, "json")
    data = json.loads(exported)
    assert data["format"] == "llamadesk.chat" and len(data["messages"]) == 7

    # into an empty history: identical, ids and all
    service.delete_session(session_id)
    imported = service.import_json(exported)
    assert imported.id == session_id
    assert service.export(session_id, "json") == exported

    # again: the ids are taken, so the copy gets new ones but the same tree
    copy = service.import_json(exported)
    assert copy.id != session_id
    again = json.loads(service.export(copy.id, "json"))
    strip = lambda d: [(m["role"], m["content"], m["state"]) for m in d["messages"]]  # noqa: E731
    assert strip(again) == strip(data)
    original_shown = [m.content for m in service.transcript(session_id).messages]
    copy_shown = [m.content for m in service.transcript(copy.id).messages]
    assert copy_shown == original_shown == ["edited question", "answer 4"]


def test_markdown_shows_the_active_branch(service: ChatService) -> None:
    session_id = build_tree(service)
    transcript = service.transcript(session_id)
    service.switch_branch(session_id, transcript.siblings[transcript.messages[0].id][0])
    text = service.export(session_id, "markdown")
    assert text.startswith("# Tree\n")
    assert "## System\n\nsys" in text
    assert "## User\n\nquestion" in text and "follow-up with *markdown*" in text
    assert "edited question" not in text


def test_bad_imports_are_rejected(service: ChatService) -> None:
    with pytest.raises(InvalidParams, match="not a llamadesk chat export"):
        service.import_json('{"hello": 1}')
    with pytest.raises(InvalidParams):
        service.import_json("not json")
    session_id = build_tree(service)
    data = json.loads(service.export(session_id, "json"))
    data["messages"].reverse()  # children before parents
    with pytest.raises(InvalidParams, match="before its parent"):
        service.import_json(json.dumps(data))
    with pytest.raises(InvalidParams):
        service.export(session_id, "pdf")
