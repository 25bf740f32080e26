"""The Collections screen in the real window: add a folder through the folder chooser, watch it
index to ready (the real starter model embeds), remove it and find the files untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llamadesk.core.models.settings import ConfigSetParams

from .conftest import pump
from .shots import shoot

pytestmark = pytest.mark.slow  # embeds with the real starter model

GUARD_S = 240


def modal(kind: type) -> Any:
    from kivy.core.window import Window

    pump(lambda: any(isinstance(w, kind) for w in Window.children))
    return next(w for w in Window.children if isinstance(w, kind))


def test_add_index_and_remove_a_folder(ui_app: Any, starter_model: Path, tmp_path: Path) -> None:
    from llamadesk.ui.screens.collections import FolderDialog
    from llamadesk.ui.widgets.dialogs import ConfirmDialog, TextDialog

    ui_app.commands.invoke(
        "config.set",
        ConfigSetParams(
            values={"documents.embedding_model": str(starter_model), "documents.rescan_minutes": 0}
        ),
    )
    folder = tmp_path / "team notes"
    folder.mkdir()
    (folder / "plan.md").write_text("# Plan\n\nThe launch is on the ninth of March.\n", encoding="utf-8")
    (folder / "budget.txt").write_text("The budget is 4,200 euros for the whole year.\n", encoding="utf-8")
    (folder / "tool.py").write_text("def area(r):\n    return 3.14159 * r * r\n", encoding="utf-8")
    before = {path.name: path.read_bytes() for path in folder.iterdir()}

    screen = ui_app.screens["collections"]
    ui_app.show_screen("collections")
    screen.ids.add_button.dispatch("on_release")
    chooser = modal(FolderDialog)
    chooser.ids.chooser.path = str(folder)
    pump(frames=3)
    chooser.ids.ok.dispatch("on_release")
    naming = modal(TextDialog)
    assert naming.ids.field.text == "team notes"  # suggested from the folder's name
    naming.ids.field.text = "team"
    naming.submit()
    pump(lambda: "team" in screen.cards, timeout=GUARD_S)
    card = screen.cards["team"]
    seen_running = []
    pump(
        lambda: seen_running.append(card.running) or card.state_text == "ready",
        timeout=GUARD_S,
    )
    assert card.folder == str(folder.resolve())
    assert "3 files" in card.counts and card.progress == 1.0
    assert True in seen_running  # the progress bar showed while it indexed
    shoot("collections-ready")

    card.ids.remove_button.dispatch("on_release")
    confirm = modal(ConfirmDialog)
    assert "not touched" in confirm.text and str(folder.resolve()) in confirm.text
    confirm.ids.ok.dispatch("on_release")
    pump(lambda: "team" not in screen.cards, timeout=GUARD_S)
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before


def test_pause_resume_cancel_and_index_again(ui_app: Any, starter_model: Path, tmp_path: Path) -> None:
    ui_app.commands.invoke(
        "config.set",
        ConfigSetParams(
            values={"documents.embedding_model": str(starter_model), "documents.rescan_minutes": 0}
        ),
    )
    folder = tmp_path / "archive"
    folder.mkdir()
    for number in range(8):  # enough passages (embedded by the starter model) to pause mid-run
        text = f"# Note {number}\n\n" + f"Item {number} of the archive is about topic {number}. " * 4
        (folder / f"note{number:02}.md").write_text(text, encoding="utf-8")
    screen = ui_app.screens["collections"]
    ui_app.show_screen("collections")
    screen.add_collection(str(folder), "archive")
    pump(lambda: "archive" in screen.cards and screen.cards["archive"].running, timeout=GUARD_S)
    card = screen.cards["archive"]
    shoot("collections-indexing")
    assert card.ids.progress.opacity == 1 and not card.ids.cancel_button.disabled

    card.ids.pause_button.dispatch("on_release")
    pump(lambda: card.paused, timeout=GUARD_S)
    assert card.state_text == "paused" and card.ids.pause_button.text == "Resume"
    assert not card.running and card.ids.progress.opacity == 0
    card.ids.pause_button.dispatch("on_release")  # resume
    pump(lambda: card.running or card.state_text == "ready", timeout=GUARD_S)
    if card.running:
        card.ids.cancel_button.dispatch("on_release")
        pump(lambda: card.state_text in ("cancelled", "ready"), timeout=GUARD_S)
    card.ids.reindex_button.dispatch("on_release")  # reads every file again, to the end
    pump(lambda: card.running, timeout=GUARD_S)
    pump(lambda: card.state_text == "ready", timeout=GUARD_S)
    assert card.counts.startswith("8 files")
    screen.remove("archive")
    pump(lambda: "archive" not in screen.cards, timeout=GUARD_S)


def test_a_folder_dropped_on_the_screen_is_offered_as_a_collection(ui_app: Any, tmp_path: Path) -> None:
    from kivy.core.window import Window

    from llamadesk.ui.widgets.dialogs import TextDialog

    folder = tmp_path / "recipes"
    folder.mkdir()
    ui_app.show_screen("collections")
    Window.dispatch("on_drop_file", str(folder).encode(), 300, 300)
    naming = modal(TextDialog)
    assert naming.ids.field.text == "recipes"
    naming.dismiss()
    pump(lambda: naming not in Window.children)
    assert ui_app.shell.ids.screens.current == "collections"
    assert ui_app.screens["chat"].pending_files == []
