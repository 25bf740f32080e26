"""The documents' view models without a window: pending chips, sent chips, sources, pasted
paths, and collections as their screen shows them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import ChatMessage
from llamadesk.core.models.collections import CollectionInfo, CollectionState
from llamadesk.core.models.documents import Attachment, AttachmentPart, Source
from llamadesk.plugins.documents.readers import read_builtin
from llamadesk.ui.catalogs import use_language
from llamadesk.ui.viewmodels.collections import any_running, collection_row
from llamadesk.ui.viewmodels.documents import (
    PROBLEM,
    READY,
    PendingFile,
    chip_text,
    document_rows,
    path_in_text,
    problem_text,
    sending_rows,
    source_text,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def attachment(whole: bool = True) -> Attachment:
    parts = [AttachmentPart(page=2, text="Sales grew.")]
    return Attachment(
        name="report.pdf", path="/r/report.pdf", format="pdf", size_bytes=5000, pages=12,
        whole=whole, parts=parts, chunks=40, tokens=1830,
    )  # fmt: skip


def source(number: int, **where: int) -> Source:
    return Source(number=number, collection="notes", path="/n/plan.md", name="plan.md", text="x", **where)


def test_pending_file_chips_say_what_was_read_or_why_not() -> None:
    pending = PendingFile(path="/tmp/report.pdf")
    assert pending.label() == "report.pdf (reading…)"
    assert pending.read(3, 9000, None).label() == "report.pdf · 3 pages"
    assert pending.read(None, 2_500, None).state == READY
    assert pending.read(None, 2_500, None).label() == "report.pdf · 2.5 KB"
    locked = pending.read(None, 100, "report.pdf is protected by a password")
    assert locked.state == PROBLEM and locked.label() == "report.pdf is protected by a password"
    assert pending.read(None, 1, "a binary file").label() == "report.pdf: a binary file"


def test_sent_chips_and_sources() -> None:
    assert chip_text(attachment()) == "report.pdf · 12 pages · 1,830 tokens"
    assert chip_text(attachment(whole=False)) == "report.pdf · 12 pages · 1,830 tokens (1 of 40 passages)"
    assert source_text(source(1, page=2)) == "[1] plan.md, page 2"
    assert source_text(source(2, line_start=10, line_end=24)) == "[2] plan.md, lines 10-24"
    assert source_text(source(3, line_start=7, line_end=7)) == "[3] plan.md, line 7"
    assert source_text(source(4)) == "[4] plan.md"


def test_document_rows_follow_the_message() -> None:
    user = ChatMessage(
        id="u", session_id="s", role=Role.USER, content="q", created_at=NOW,
        attachments=[attachment(), attachment()], sources=[source(1)],
    )  # fmt: skip
    answer = user.model_copy(update={"id": "a", "role": Role.ASSISTANT, "attachments": []})
    [chips] = document_rows(user, 30, 26)  # the user message shows files, not the sources
    assert chips["viewclass"] == "AttachmentsRow" and len(chips["chips"]) == 2 and chips["height"] == 60
    [sources] = document_rows(answer, 30, 26)
    assert sources["viewclass"] == "SourcesRow" and sources["labels"] == ["[1] plan.md"]
    assert sources["height"] == 56
    assert sending_rows([], 30) == []
    assert sending_rows(["/a/b.md"], 30)[0]["chips"] == ["b.md (reading…)"]


def test_a_pasted_path_is_offered_only_when_it_names_a_file(tmp_path: Path) -> None:
    file = tmp_path / "my notes.md"
    file.write_text("x", encoding="utf-8")
    assert path_in_text(str(file)) == str(file)
    assert path_in_text(f"  '{file}'  ") == str(file)
    assert path_in_text(f"file://{str(file).replace(' ', '%20')}") == str(file)
    assert path_in_text(str(tmp_path)) is None  # a folder
    assert path_in_text(str(tmp_path / "missing.md")) is None
    assert path_in_text(f"read {file}") is None  # a sentence, not a path
    assert path_in_text(f"{file}\n{file}") is None


def test_collection_rows() -> None:
    indexing = CollectionInfo(
        name="notes", folder="/n", state=CollectionState.INDEXING, files=3, chunks=40,
        skipped=2, to_embed=10, embedded_now=4, progress=0.4,
    )  # fmt: skip
    row = collection_row(indexing)
    assert row["running"] and row["progress"] == 0.4 and row["state_text"] == "indexing"
    assert row["counts"] == "3 files · 40 passages · 2 left out · embedding 4/10"
    ready = indexing.model_copy(update={"state": CollectionState.READY, "progress": None, "skipped": 0})
    assert collection_row(ready)["progress"] == 1.0 and not collection_row(ready)["running"]
    assert collection_row(ready)["counts"] == "3 files · 40 passages"
    paused = ready.model_copy(update={"state": CollectionState.PAUSED})
    assert collection_row(paused)["paused"] and collection_row(paused)["tone"] == "tight"
    assert any_running([ready, indexing]) and not any_running([ready, paused])


def test_why_a_file_has_no_text_is_said_in_the_windows_language(tmp_path: Path) -> None:
    binary = tmp_path / "photo.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    document = read_builtin(binary, 1_000_000)
    assert document.problem == "photo.bin is a binary file, not text"  # CLI and API: English
    use_language("es")
    try:
        assert problem_text(document) == "photo.bin es un archivo binario, no texto"
    finally:
        use_language("en")
    assert problem_text(document) == document.problem
