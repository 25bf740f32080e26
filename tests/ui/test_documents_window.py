"""Documents in the real chat window with the real starter model: a PDF attached with the
Attach button's chooser, a Markdown file dropped on the window, a path pasted into the input,
an encrypted PDF that says why on its chip; the sent message's chips (name, pages, tokens),
the answer's numbered sources from a collection, and the passage a source opens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llamadesk.core.models.chat_params import GetChatParams
from llamadesk.core.models.collections import CollectionParams, IndexParams
from llamadesk.core.models.llama import ModelParams, SamplingParams
from llamadesk.core.models.settings import ConfigSetParams
from tests.plugins.documents.files import write_pdf

from .conftest import pump
from .shots import SIZES, shoot

pytestmark = pytest.mark.slow

GUARD_S = 240


@pytest.fixture(scope="module")
def chat(ui_app: Any, starter_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    ui_app.commands.invoke(
        "config.set",
        ConfigSetParams(
            values={"documents.embedding_model": str(starter_model), "documents.rescan_minutes": 0}
        ),
    )
    handbook = tmp_path_factory.mktemp("handbook")
    (handbook / "office.md").write_text(
        "# Office\n\nThe office door code is 4417. Visitors sign in at the desk.\n", encoding="utf-8"
    )
    (handbook / "holidays.md").write_text("# Holidays\n\nThe office closes in August.\n", encoding="utf-8")
    ui_app.commands.invoke("collections.add", {"name": "handbook", "folder": str(handbook)})
    ui_app.commands.invoke("collections.index", IndexParams(name="handbook"))
    screen = ui_app.screens["chat"]
    ui_app.show_screen("chat")
    screen.sampling = SamplingParams(max_tokens=16, temperature=0)
    screen.load_model(str(starter_model))
    pump(lambda: screen.model_state in ("ready", "error"), timeout=GUARD_S)
    assert screen.model_state == "ready", screen.hint
    yield screen
    screen.sampling = None
    screen.chat_collections = []
    ui_app.commands.invoke("collections.remove", CollectionParams(name="handbook"))
    ui_app.commands.invoke("runtime.unload", ModelParams(model=str(starter_model)))


def rows(screen: Any, viewclass: str) -> list[dict[str, Any]]:
    return [r for r in screen.ids.messages.data if r["viewclass"] == viewclass]


def chips(screen: Any) -> list[Any]:
    return list(reversed(screen.ids.pending_chips.children))  # Kivy lists children last first


def modal(kind: type) -> Any:
    from kivy.core.window import Window

    pump(lambda: any(isinstance(w, kind) for w in Window.children))
    return next(w for w in Window.children if isinstance(w, kind))


def test_attach_send_and_open_a_source(chat: Any, ui_app: Any, tmp_path: Path) -> None:
    from kivy.core.window import Window

    from llamadesk.ui.widgets.dialogs import FileDialog
    from llamadesk.ui.widgets.document_views import PassagePopup

    report = write_pdf(tmp_path / "report.pdf", ["Quarterly report.", "Sales grew by 12 percent in May."])
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nBring the projector on Friday.\n", encoding="utf-8")
    pasted = tmp_path / "todo.txt"
    pasted.write_text("Call the printer company.\n", encoding="utf-8")
    locked = write_pdf(tmp_path / "locked.pdf", ["Secret."], password="pw")
    chat.new_chat()

    # The Attach button's chooser.
    chat.ids.attach_button.dispatch("on_release")
    chooser = modal(FileDialog)
    chooser.ids.chooser.path = str(tmp_path)
    chooser.pick([str(report)])
    # A file dropped on the window (SDL gives the path as bytes), and a path pasted alone.
    Window.dispatch("on_drop_file", str(notes).encode(), 100, 100)
    Window.dispatch("on_drop_file", str(locked).encode(), 100, 100)
    chat.ids.composer.text = str(pasted)
    pump(lambda: chat.path_offer == str(pasted))
    assert "todo.txt" in chat.ids.path_offer.text
    chat.ids.path_offer.dispatch("on_release")
    assert chat.ids.composer.text == ""
    pump(lambda: len(chips(chat)) == 4 and not chat.attachments_waiting(), timeout=GUARD_S)
    texts = [chip.text for chip in chips(chat)]
    assert texts[0] == "report.pdf · 2 pages"
    assert texts[1].startswith("notes.md · ") and texts[3].startswith("todo.txt · ")
    assert texts[2].startswith("locked.pdf ") and "password" in texts[2]  # why, on the chip
    assert chips(chat)[2].problem and not chips(chat)[0].problem
    shoot("chat-pending-chips")

    # The options panel picks the collections this chat searches.
    chat.open_panel()
    pump(lambda: len(chat.ids.panel.ids.collections.children) >= 1)
    row = next(r for r in chat.ids.panel.ids.collections.children if r.name == "handbook")
    row.ids.check.active = True  # what a click on its box does
    assert chat.chat_collections == ["handbook"]
    assert chat.ids.panel.ids.no_collections.text == ""
    pump(frames=3)
    assert next(r for r in chat.ids.panel.ids.collections.children if r.name == "handbook").ids.check.active
    shoot("chat-panel-collections", ("wide",))  # docked beside the chat
    chat.close_panel()
    pump(lambda: not chat.panel_open)
    Window.size = SIZES["small"]
    pump(frames=6)
    chat.open_panel()  # a sheet over the chat when narrow
    pump(frames=6)
    shoot("chat-panel-collections", ("small",))
    chat.close_panel()
    Window.size = SIZES["wide"]
    pump(lambda: not chat.panel_open)
    chat.ids.composer.text = "What is the office door code?"
    chat.ids.composer.dispatch("on_submit")
    assert chips(chat) == []  # sent: the message shows its own chips
    pump(lambda: chat.streaming)
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    pump(lambda: len(chat.messages) == 2 and rows(chat, "SourcesRow"), timeout=GUARD_S)

    user, answer = chat.messages
    assert answer.sources == user.sources  # what the answer may cite
    assert [a.name for a in user.attachments] == ["report.pdf", "notes.md", "todo.txt"]  # locked.pdf not sent
    sent = rows(chat, "AttachmentsRow")[0]["chips"]
    assert sent[0].startswith("report.pdf · 2 pages · ") and sent[0].endswith(" tokens")
    assert f"{user.attachments[0].tokens:,} tokens" in sent[0]
    labels = rows(chat, "SourcesRow")[0]["labels"]
    assert labels and labels[0].startswith("[1] ") and any("office.md" in label for label in labels)

    chat.scroll_to_end()
    pump(frames=10)
    view = next(v for v in chat.ids.messages.layout_manager.view_indices if type(v).__name__ == "SourcesRow")
    position = next(i for i, label in enumerate(labels) if "office.md" in label)
    button = list(reversed(view.ids.sources.children))[position]
    assert button.text == labels[position]
    shoot("chat-sources")
    button.dispatch("on_release")  # a tap on the source
    popup = modal(PassagePopup)
    assert "office.md" in popup.title and "4417" in popup.text
    assert "handbook" in popup.where
    shoot("chat-passage")
    popup.ids.close.dispatch("on_release")
    pump(lambda: popup not in Window.children)

    # The chat keeps its collections: a new chat starts with none, the chat opened again has them.
    session_id = chat.session_id
    saved = ui_app.commands.invoke("chat.get", GetChatParams(session_id=session_id))
    assert saved.session.collections == ["handbook"]
    chat.new_chat()
    assert chat.chat_collections == []
    chat.open_session(session_id)
    pump(lambda: chat.chat_collections == ["handbook"])
    chat.open_panel()
    pump(lambda: any(r.name == "handbook" for r in chat.ids.panel.ids.collections.children))
    row = next(r for r in chat.ids.panel.ids.collections.children if r.name == "handbook")
    assert row.ids.check.active
    row.ids.check.active = False  # unticked in an existing chat: saved at once
    pump(
        lambda: (
            ui_app.commands.invoke("chat.get", GetChatParams(session_id=session_id)).session.collections == []
        )
    )
    chat.close_panel()
    pump(lambda: not chat.panel_open)
