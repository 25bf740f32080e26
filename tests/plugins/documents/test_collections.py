"""collections.*: add a real folder, index it with the starter model's embeddings, change it,
pause and cancel, bad files, remove. The real SQLite index in the test's data folder."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pydantic import BaseModel

from llamadesk.core.app import App
from llamadesk.core.commands import CancelToken, CommandError
from llamadesk.core.models.collections import (
    CollectionInfo,
    CollectionList,
    CollectionProblems,
    CollectionSearchResult,
    CollectionState,
)
from llamadesk.core.models.commands import ProgressEvent
from llamadesk.core.models.documents import Source

from .files import write_docx, write_pdf, write_scanned_pdf


def index(app: App, name: str, **params: object) -> tuple[CollectionInfo, list[ProgressEvent]]:
    events: list[ProgressEvent] = []

    def collect(event: BaseModel) -> None:
        assert isinstance(event, ProgressEvent)
        events.append(event)

    info = app.commands.invoke("collections.index", {"name": name, **params}, on_event=collect)
    assert isinstance(info, CollectionInfo)
    return info, events


def status(app: App, name: str) -> CollectionInfo:
    info = app.commands.invoke("collections.status", {"name": name})
    assert isinstance(info, CollectionInfo)
    return info


def add(app: App, name: str, folder: Path) -> CollectionInfo:
    info = app.commands.invoke("collections.add", {"name": name, "folder": str(folder)})
    assert isinstance(info, CollectionInfo)
    return info


def notes_folder(root: Path) -> Path:
    root.mkdir()
    (root / "plan.md").write_text("# Plan\n\nThe launch is on the ninth of March.\n")
    (root / "src").mkdir()
    (root / "src" / "tool.py").write_text("def answer():\n    return 42\n")
    write_pdf(root / "report.pdf", ["Revenue grew in spring.", "The warehouse moved to Leeds."])
    write_docx(root / "minutes.docx", ["Minutes", "Alice chairs the board."])
    return root


def test_a_folder_is_indexed_with_progress_and_searchable(docs_app: App, tmp_path: Path) -> None:
    folder = notes_folder(tmp_path / "notes")
    add(docs_app, "notes", folder)
    info, events = index(docs_app, "notes")
    assert info.state is CollectionState.READY and info.message is None
    assert (info.files, info.skipped) == (4, 0)
    assert info.chunks >= 5 and info.embedded == info.chunks
    assert events and events[-1].message.startswith("notes: ")
    assert any("embedding" in event.message for event in events)
    found = docs_app.commands.invoke(
        "collections.search", {"text": "Leeds warehouse", "collections": ["notes"]}
    )
    top = found.sources[0]  # type: ignore[attr-defined]
    assert (top.name, top.page, top.collection) == ("report.pdf", 2, "notes")
    listing = docs_app.commands.invoke("collections.list")
    assert isinstance(listing, CollectionList)
    assert [c.name for c in listing.collections] == ["notes"]


def search(app: App, text: str, mode: str = "keyword") -> list[Source]:
    found = app.commands.invoke("collections.search", {"text": text, "collections": ["notes"], "mode": mode})
    assert isinstance(found, CollectionSearchResult)
    return found.sources


def test_only_changed_files_are_read_again(docs_app: App, tmp_path: Path) -> None:
    folder = notes_folder(tmp_path / "notes")
    add(docs_app, "notes", folder)
    index(docs_app, "notes")
    plan_chunk = search(docs_app, "ninth March")[0].chunk_id
    # Saved again unchanged (new date, same bytes), changed, added, deleted:
    plan = folder / "plan.md"
    plan.write_text(plan.read_text())
    (folder / "src" / "tool.py").write_text("def answer():\n    return 43  # the new answer\n")
    (folder / "extra.txt").write_text("Bob keeps the keys to the archive.\n")
    (folder / "minutes.docx").unlink()
    info, events = index(docs_app, "notes")
    looked_at = {e.message.removeprefix("notes: reading ") for e in events if "reading " in e.message}
    assert looked_at == {"extra.txt", "plan.md", "src/tool.py"}  # report.pdf not even opened
    assert search(docs_app, "ninth March")[0].chunk_id == plan_chunk  # plan.md hashed, not read again
    embedding = [e for e in events if "embedding passages" in e.message]
    assert embedding[-1].message.endswith(" 2/2")  # only the changed and the new file's passages
    assert (info.files, info.embedded) == (4, info.chunks)
    assert search(docs_app, "43")[0].name == "src/tool.py"
    assert search(docs_app, "Alice") == []


def test_bad_files_are_left_out_with_a_reason(docs_app: App, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "good.txt").write_text("The one readable file.\n")
    write_pdf(folder / "locked.pdf", ["secret"], password="pw")
    write_scanned_pdf(folder / "scan.pdf")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    (folder / "program.bin").write_bytes(bytes(range(256)) * 64)
    with (folder / "huge.log").open("wb") as huge:  # 2 GB, sparse: costs no disk
        huge.truncate(2_000_000_000)
    add(docs_app, "notes", folder)
    info, _events = index(docs_app, "notes")
    assert info.state is CollectionState.READY and (info.files, info.skipped) == (1, 5)
    result = docs_app.commands.invoke("collections.problems", {"name": "notes"})
    assert isinstance(result, CollectionProblems) and result.total == 5
    why = {p.path: p.problem for p in result.problems}
    assert "password" in why["locked.pdf"] and "scanned" in why["scan.pdf"]
    assert "2 GB" in why["huge.log"] and "documents.max_file_mb" in why["huge.log"]
    assert why["broken.pdf"] and why["program.bin"]


def test_cancel_and_pause_mid_index_keep_what_was_done(docs_app: App, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    for number in range(40):
        (folder / f"note{number:02}.txt").write_text(f"Note {number} is about item {number * 7}.\n")
    embedding = threading.Event()

    def on_event(event: BaseModel) -> None:
        if isinstance(event, ProgressEvent) and "embedding passages 8/" in event.message:
            embedding.set()

    # The run `collections.add` started is joined by the streaming command, and cancelled with it.
    add(docs_app, "notes", folder)
    running = docs_app.commands.start("collections.index", {"name": "notes"}, on_event=on_event)
    assert embedding.wait(120)
    running.cancel()
    info = running.result(timeout=60)
    assert isinstance(info, CollectionInfo) and info.state is CollectionState.CANCELLED
    assert info.files == 40 and 8 <= info.embedded < 40
    # Paused: stays out of automatic runs until resumed, which goes on from what was embedded.
    embedding.clear()
    running = docs_app.commands.start("collections.index", {"name": "notes"}, on_event=on_event)
    assert embedding.wait(120)
    paused = docs_app.commands.invoke("collections.pause", {"name": "notes"})
    info = running.result(timeout=60)
    assert isinstance(paused, CollectionInfo) and info.state is CollectionState.PAUSED
    assert "resume" in (info.message or "") and status(docs_app, "notes").state is CollectionState.PAUSED
    before = info.embedded
    docs_app.commands.invoke("collections.resume", {"name": "notes"})
    info, events = index(docs_app, "notes")  # joins the resumed run
    assert info.state is CollectionState.READY and (info.files, info.embedded) == (40, 40)
    assert any(f"embedding passages 8/{40 - before}" in e.message for e in events)


def test_removing_a_collection_keeps_the_files(docs_app: App, tmp_path: Path) -> None:
    folder = notes_folder(tmp_path / "notes")
    before = sorted((p, p.read_bytes()) for p in folder.rglob("*") if p.is_file())
    add(docs_app, "notes", folder)
    index(docs_app, "notes")
    docs_app.commands.invoke("collections.remove", {"name": "notes"})
    assert sorted((p, p.read_bytes()) for p in folder.rglob("*") if p.is_file()) == before
    with pytest.raises(CommandError) as gone:
        status(docs_app, "notes")
    assert gone.value.code == "not_found"


def test_clear_messages_for_mistakes(docs_app: App, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as missing:
        add(docs_app, "notes", tmp_path / "nowhere")
    assert "not a folder" in missing.value.message
    folder = notes_folder(tmp_path / "notes")
    add(docs_app, "notes", folder)
    with pytest.raises(CommandError) as twice:
        add(docs_app, "notes", folder)
    assert twice.value.code == "already_exists"
    with pytest.raises(CommandError) as bad_name:
        add(docs_app, ".attachments", folder)
    assert bad_name.value.code == "invalid_params"
    index(docs_app, "notes")
    folder.rename(tmp_path / "unplugged")
    info, _events = index(docs_app, "notes")
    assert info.state is CollectionState.ERROR and "is not there" in (info.message or "")
    assert info.files == 4  # the index is kept as it was


def test_a_new_embedding_model_embeds_again(docs_app: App, tmp_path: Path, starter_model: Path) -> None:
    add(docs_app, "notes", notes_folder(tmp_path / "notes"))
    info, _events = index(docs_app, "notes")
    # Keywords only: nothing to embed, search still works.
    docs_app.commands.invoke("config.set", {"values": {"documents.embedding_model": ""}})
    assert search(docs_app, "Leeds", mode="hybrid")[0].name == "report.pdf"
    # The same file under another name counts as another model: every passage is embedded again.
    other = tmp_path / "other.gguf"
    other.symlink_to(starter_model)
    docs_app.commands.invoke("config.set", {"values": {"documents.embedding_model": str(other)}})
    again, events = index(docs_app, "notes")
    assert again.embedded == again.chunks == info.chunks
    assert any(f"embedding passages {info.chunks}/{info.chunks}" in e.message for e in events)


def test_a_folder_of_100000_files_is_indexed_up_to_the_limit_and_says_so(app: App, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    for group in range(100):
        sub = folder / f"g{group:02}"
        sub.mkdir(parents=True)
        for number in range(1000):
            (sub / f"f{number:03}.txt").write_text(f"file {group}-{number}\n")
    # Keywords only (no embedding model), and a limit that keeps the run short.
    app.commands.invoke(
        "config.set",
        {
            "values": {
                "documents.embedding_model": "",
                "documents.rescan_minutes": 0,
                "documents.max_files": 300,
            }
        },
    )
    add(app, "many", folder)
    info, _events = index(app, "many")
    assert info.state is CollectionState.READY and info.files == 300
    assert "only the first 300 files" in (info.message or "")


def test_an_index_cancelled_before_its_run_is_queued_stops_that_run(app: App, tmp_path: Path) -> None:
    # The race CI met: the command was cancelled while the run adding the collection started
    # was still stopping, so there was no run of its own to stop yet.
    add(app, "notes", notes_folder(tmp_path / "notes"))
    token = CancelToken()
    token.cancel()
    info = app.commands.invoke("collections.index", {"name": "notes", "full": True}, token=token)
    assert isinstance(info, CollectionInfo) and info.state is CollectionState.CANCELLED


def test_cancel_while_listing_a_big_folder(app: App, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    for group in range(40):
        sub = folder / f"g{group:02}"
        sub.mkdir(parents=True)
        for number in range(500):
            (sub / f"f{number:03}.txt").write_text("x\n")
    app.commands.invoke(
        "config.set", {"values": {"documents.embedding_model": "", "documents.rescan_minutes": 0}}
    )
    listing = threading.Event()

    def on_event(event: BaseModel) -> None:
        if isinstance(event, ProgressEvent) and "listing files" in event.message:
            listing.set()

    add(app, "many", folder)
    running = app.commands.start("collections.index", {"name": "many"}, on_event=on_event)
    assert listing.wait(60)
    running.cancel()
    info = running.result(timeout=30)
    assert isinstance(info, CollectionInfo) and info.state is CollectionState.CANCELLED
    assert info.files < 20_000
