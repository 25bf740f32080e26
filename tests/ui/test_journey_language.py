"""A journey: the real app (`llamadesk`) in a real X window (Xvfb), driven like a person with
xdotool from an empty home. On its first launch it offers the starter model, which a click
fetches and loads; the first message is typed and answered; the language is changed in
Settings by clicks, the window follows at once, and after a restart it opens in that
language: the "change a setting and restart" journey. Every step's screen is saved
(`import -window root`): in the test's temporary folder, or in LLAMADESK_JOURNEY_SHOTS when
set. Buttons are found by what the window shows (tests/ui/journey.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .journey import (
    RealWindow,
    crop,
    library_references,
    shots_folder,
    starter_in_cache,
    wait_until,
)


def test_first_launch_starter_model_first_chat_language_and_restart(
    display: str, tmp_path: Path, starter_model: Path
) -> None:
    import numpy as np

    app = RealWindow(display, tmp_path, shots_folder(tmp_path, "language"))
    # Nothing configured, no models; the journey does not download the starter model.
    starter_in_cache(tmp_path, starter_model)
    try:
        app.start()
        first = app.shot("01-first-launch")
        assert app.config().get("language", "en") == "en"
        # Boxes whose pixels show the language: the sidebar's Models button, the chat's title.
        models_label = app.find(id="nav_models")["rect"]
        chat_title = app.find(id="title")["rect"]

        app.click(id="starter_button")  # "Get starter model": fetched (here: found) and loaded
        app.shot("02-starter-model")
        app.find(cls="Badge", text="ready", timeout=120)
        app.send_and_wait("Hello")
        app.shot("03-first-chat")
        assert [role for role, _state, _text in app.messages()][:2] == ["user", "assistant"]
        # The answer names the model as the library does (and as every later launch will).
        assert answer_models(tmp_path / "app") == ["smollm2-135m-instruct:q4_1"]

        app.click(id="nav_settings", then={"cls": "SettingChoice", "key": "language"})
        menu = app.find(cls="SettingChoice", key="language")
        english = app.shot("04-settings")
        app.click(cls="SettingChoice", key="language", then={"cls": "LanguageOption"})
        # Chinese is named 中文, drawn in a font that has those glyphs (not boxes).
        assert "wqy" in app.find(cls="LanguageOption", text="中文")["font"]
        app.shot("05-language-menu")
        app.click(cls="LanguageOption", text="中文")
        wait_until(lambda: app.config().get("language") == "zh", 15, "the language was not saved")
        # The sidebar's Models button now reads 模型, without a restart.
        wait_until(lambda: app.find(id="nav_models")["text"] != "Models", 15, "the window stayed English")
        chinese = app.shot("06-chinese-at-once")
        assert not np.allclose(crop(english, models_label), crop(chinese, models_label), atol=0.05)
        assert not np.allclose(first, chinese, atol=0.05)
        assert menu["text"] != app.find(cls="SettingChoice", key="language")["text"]

        app.stop()
        # The starter model was kept in the library (in place), so the restarted window lists
        # it instead of offering it again.
        assert library_references(tmp_path / "app") == ["smollm2-135m-instruct:q4_1"]
        app.start()
        restarted = app.shot("07-after-restart")
        assert app.config()["language"] == "zh"
        assert app.find(id="nav_models")["text"] == "模型"
        assert not np.allclose(crop(restarted, chat_title), crop(first, chat_title), atol=0.05)
        # It opens on the chat, in Chinese: the same Models button as before the restart.
        assert np.mean(np.abs(crop(restarted, models_label) - crop(chinese, models_label))) < 0.02
        assert not np.allclose(crop(restarted, models_label), crop(english, models_label), atol=0.05)
    finally:
        app.stop()


def answer_models(home: Path) -> list[str]:
    with sqlite3.connect(next(home.rglob("chats.db")), timeout=5) as db:
        return [row[0] for row in db.execute("SELECT DISTINCT model FROM messages WHERE role = 'assistant'")]
