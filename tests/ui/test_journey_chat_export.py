"""A journey: a chat with two versions of its answer (Regenerate) is exported from the
window to a JSON file (the save dialog), deleted, and imported back from the file (the open
dialog): the chat and both its branches are back. Clicked in a real X window
(tests/ui/journey.py) from an empty home; each step's screen is saved."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .journey import RealWindow, answered, shots_folder, starter_in_cache, wait_until

BRANCH = re.compile(r"^\d+/2$")  # "2/2": the answer's versions


def test_export_a_chat_with_branches_delete_it_and_import_it_back(
    display: str, tmp_path: Path, starter_model: Path
) -> None:
    app = RealWindow(display, tmp_path, shots_folder(tmp_path, "chat-export"))
    starter_in_cache(tmp_path, starter_model)  # "Get starter model" finds it there
    try:
        app.start()
        app.click(id="starter_button")
        app.find(cls="Badge", text="ready", timeout=120)
        app.send_and_wait("Hello")
        # However long the answer (the model samples, so its length varies), its buttons are
        # under it, where the chat ends: no scrolling back up to them.
        # Regenerate: a second version of the answer starts (Stop shows) or is already there.
        app.click(
            cls="FlatButton",
            text="Regenerate",
            role="assistant",
            then=lambda: answered(app, 2) or app.widgets(cls="FlatButton", text="Stop"),
        )
        wait_until(lambda: answered(app, 2), 300, lambda: f"no second answer: {app.messages()}")
        app.find(cls="Label", text="2/2", timeout=30)
        wait_until(lambda: app.widgets(cls="SessionRow"), 30, "no chat in the sidebar")
        app.shot("01-two-versions")

        app.click(cls="FlatButton", text="...", then={"cls": "FlatButton", "text": "Export (JSON)"})
        app.click(cls="FlatButton", text="Export (JSON)")
        app.find(cls="SaveDialog")
        app.find(cls="MutedLabel", text=str(app.user_home))  # the folder it saves in, named
        app.shot("02-save-dialog")
        app.click(id="ok", text="Save")
        exported = wait_until(lambda: list(app.user_home.glob("*.json")), 30, "nothing was exported")[0]
        # Every message of the tree: the question and both answers.
        saved = json.loads(exported.read_text())
        assert sorted(m["role"] for m in saved["messages"]) == ["assistant", "assistant", "user"], saved

        app.click(cls="FlatButton", text="...", then={"cls": "FlatButton", "text": "Delete"})
        app.click(cls="FlatButton", text="Delete")
        app.click(cls="FlatButton", text="Delete")  # the confirmation dialog's button
        wait_until(lambda: not app.messages(), 30, lambda: f"not deleted: {app.messages()}")
        app.shot("03-deleted")

        app.click(cls="FlatButton", text="...", then={"cls": "FlatButton", "text": "Import a chat"})
        app.click(cls="FlatButton", text="Import a chat")
        app.click(cls="FileListEntry", path=str(exported))
        app.shot("04-open-dialog")
        app.click(cls="FlatButton", text="Import")
        wait_until(lambda: answered(app, 2), 30, lambda: f"not imported: {app.messages()}")
        # The window shows it, with both versions of the answer.
        wait_until(
            lambda: [w for w in app.widgets(cls="Label") if BRANCH.match(w["text"])], 30, "no branches"
        )
        # ... and the sidebar lists it again, by the title the header shows.
        title = app.find(id="title")["text"]
        wait_until(
            lambda: [w["text"] for w in app.widgets(cls="SessionRow")] == [title],
            30,
            lambda: f"the sidebar lists {[w['text'] for w in app.widgets(cls='SessionRow')]}, not {title!r}",
        )
        app.shot("05-imported")
    finally:
        app.stop()
    roles = [m[0] for m in app.messages()]
    assert roles.count("user") == 1 and roles.count("assistant") == 2, app.messages()
