"""Files and collections in chats, answered by the real starter model: what goes into the
prompt, what the stored messages keep, citations with pages, and mistakes refused early."""

from __future__ import annotations

from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.models.chat_history import ChatReply
from llamadesk.core.services.chat_documents import with_documents

from .files import write_pdf

SHORT = {"max_tokens": 4, "temperature": 0.0}


def send(app: App, starter_model: Path, content: str, **params: object) -> ChatReply:
    reply = app.commands.invoke(
        "chat.send", {"model": str(starter_model), "content": content, "sampling": SHORT, **params}
    )
    assert isinstance(reply, ChatReply)
    return reply


def test_an_attached_file_goes_in_whole_and_stays_with_the_message(
    docs_app: App, starter_model: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "plan.md"
    notes.write_text("# Plan\n\nThe launch is on the ninth of March.\n")
    reply = send(docs_app, starter_model, "When is the launch?", files=[str(notes)])
    question = reply.user_message
    assert question is not None and len(question.attachments) == 1
    attachment = question.attachments[0]
    assert attachment.whole and attachment.text == "# Plan\n\nThe launch is on the ninth of March."
    assert attachment.chip().startswith("plan.md · ") and "tokens" in attachment.chip()
    prompt = with_documents(question)
    assert "ninth of March" in prompt and prompt.endswith("Question: When is the launch?")
    # Stored as sent: the file changing on disk changes nothing for this chat.
    notes.write_text("Something else entirely, and much longer. " * 50)
    stored = docs_app.commands.invoke("chat.get", {"session_id": reply.session_id}).messages[0]  # type: ignore[attr-defined]
    assert stored.attachments == question.attachments
    again = docs_app.commands.invoke("chat.regenerate", {"session_id": reply.session_id, "sampling": SHORT})
    assert isinstance(again, ChatReply) and again.message.usage and reply.message.usage
    assert again.message.usage.prompt_tokens == reply.message.usage.prompt_tokens  # the same prompt
    # An edited question keeps its files.
    edited = docs_app.commands.invoke(
        "chat.edit",
        {
            "session_id": reply.session_id,
            "message_id": question.id,
            "content": "When exactly?",
            "sampling": SHORT,
        },
    )
    assert edited.edited.attachments == question.attachments  # type: ignore[attr-defined]


def test_a_long_pdf_sends_the_relevant_pages(docs_app: App, starter_model: Path, tmp_path: Path) -> None:
    pages = [
        f"Page {n} of the manual: routine notes on cleaning, filters and belts. " * 3 for n in range(1, 41)
    ]
    pages[26] = "The pump's safety valve opens at 7.5 bar; replace its gasket every 400 hours."
    manual = write_pdf(tmp_path / "manual.pdf", pages)
    docs_app.commands.invoke("config.set", {"values": {"documents.context_share": 0.2}})
    reply = send(docs_app, starter_model, "At what pressure does the safety valve open?", files=[str(manual)])
    attachment = reply.user_message.attachments[0]  # type: ignore[union-attr]
    assert not attachment.whole and attachment.pages == 40
    assert 27 in [part.page for part in attachment.parts]
    assert "(page 27)\nThe pump's safety valve" in with_documents(reply.user_message)  # type: ignore[arg-type]
    assert f"of {attachment.chunks} passages" in attachment.chip()


def test_a_collection_answers_with_cited_pages(docs_app: App, starter_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    write_pdf(folder / "report.pdf", ["Revenue grew in spring.", "The warehouse moved to Leeds in May."])
    (folder / "team.md").write_text("# Team\n\nAlice chairs the board.\n")
    docs_app.commands.invoke("collections.add", {"name": "notes", "folder": str(folder)})
    docs_app.commands.invoke("collections.index", {"name": "notes"})
    reply = send(docs_app, starter_model, "Where did the warehouse move?", collections=["notes"])
    sources = reply.message.sources
    assert sources and sources == reply.user_message.sources  # type: ignore[union-attr]
    assert sources[0].citation() == "[1] report.pdf, page 2"
    prompt = with_documents(reply.user_message)  # type: ignore[arg-type]
    assert "[1] report.pdf, page 2\nThe warehouse moved to Leeds in May." in prompt
    transcript = docs_app.commands.invoke("chat.get", {"session_id": reply.session_id})
    assert transcript.messages[-1].sources == sources  # type: ignore[attr-defined]


def test_a_chat_searches_its_own_collections_for_every_message(
    docs_app: App, starter_model: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "minutes"
    folder.mkdir()
    (folder / "board.md").write_text("# Board\n\nThe board meets on the fourth Tuesday.\n")
    docs_app.commands.invoke("collections.add", {"name": "minutes", "folder": str(folder)})
    docs_app.commands.invoke("collections.index", {"name": "minutes"})
    session = docs_app.commands.invoke("chat.new", {"model": str(starter_model)})
    updated = docs_app.commands.invoke("chat.update", {"session_id": session.id, "collections": ["minutes"]})  # type: ignore[attr-defined]
    assert updated.collections == ["minutes"]  # type: ignore[attr-defined]
    kept = docs_app.commands.invoke("chat.get", {"session_id": session.id})  # type: ignore[attr-defined]
    assert kept.session.collections == ["minutes"]  # type: ignore[attr-defined]

    own = send(docs_app, starter_model, "When does the board meet?", session_id=session.id)  # type: ignore[attr-defined]
    assert [s.name for s in own.message.sources] == ["board.md"]
    none = send(docs_app, starter_model, "When does the board meet?", session_id=session.id, collections=[])  # type: ignore[attr-defined]
    assert none.message.sources == [] and none.user_message.sources == []  # type: ignore[union-attr]


def test_mistakes_are_refused_before_anything_is_saved(
    docs_app: App, starter_model: Path, tmp_path: Path
) -> None:
    with pytest.raises(CommandError) as unknown:
        send(docs_app, starter_model, "hello", collections=["nope"])
    assert unknown.value.code == "not_found" and "collections.list" in unknown.value.message
    binary = tmp_path / "program.bin"
    binary.write_bytes(bytes(range(256)) * 16)
    with pytest.raises(CommandError) as unreadable:
        send(docs_app, starter_model, "hello", files=[str(binary)])
    assert unreadable.value.code == "unreadable_document" and "program.bin" in unreadable.value.message
    with pytest.raises(CommandError) as missing:
        send(docs_app, starter_model, "hello", files=[str(tmp_path / "gone.txt")])
    assert missing.value.code == "not_found"
    page = docs_app.commands.invoke("chat.list", {})
    for session in page.sessions:  # type: ignore[attr-defined]
        assert docs_app.commands.invoke("chat.get", {"session_id": session.id}).messages == []  # type: ignore[attr-defined]
