"""A journey: the real app (`llamadesk`) in a real X window (Xvfb), driven like a person with
xdotool from an empty home. On its first launch it offers the starter model, which a click
fetches and loads; the first message is typed and answered; the language is changed in
Settings by clicks, the window follows at once, and after a restart it opens in that
language. Every step's screen is saved (`import -window root`): in the test's temporary
folder, or in LLAMADESK_JOURNEY_SHOTS when set.

Where to click is measured on the same layout at the same size in the tests' offscreen
window (the `ui_app` fixture): the sidebar, the Settings form's language menu and its
options are laid out by the same kv rules in both."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from llamadesk.ui import theme

from .conftest import pump
from .journey import SIZE, RealWindow, crop, library_references, shots_folder


def measured_places(app: Any) -> dict[str, Any]:
    """Where the journey clicks, measured in the offscreen window at the journey's size."""
    from kivy.core.window import Window
    from kivy.metrics import dp

    size = Window.size
    try:
        Window.size = SIZE
        pump(lambda: app.shell.width == SIZE[0])
        app.show_screen("chat")
        chat = app.screens["chat"]
        pump(frames=3)
        # "Get starter model" shows only while the library is empty, which this session's is
        # not: its place follows from chat.kv, right under the header, at the right.
        header = chat.ids.title.parent
        left, bottom = header.to_window(header.x, header.y)
        box_height = dp(theme.TOUCH) + dp(theme.SM)
        starter_at = (
            left + header.width - dp(theme.MD) - dp(180) / 2,
            bottom - dp(theme.XS) - box_height / 2,
        )
        composer = chat.ids.composer
        composer_at = composer.to_window(composer.center_x, composer.center_y)
        title = chat.ids.title
        chat_title = (*title.to_window(title.x, title.y), title.width, title.height)
        app.show_screen("settings")
        settings = app.screens["settings"]
        pump(lambda: "language" in settings.inputs)
        settings.ids.scroll.scroll_y = 1
        pump(frames=5)
        nav = app.shell.ids.sidebar.ids.nav_settings
        models = app.shell.ids.sidebar.ids.nav_models
        menu = settings.inputs["language"]
        menu.is_open = True
        pump(frames=3)
        option = next(w for w in menu._dropdown.container.children if w.text == "中文")
        places = {
            "nav_settings": nav.to_window(nav.center_x, nav.center_y),
            # Selected on no screen the journey shows: its pixels are its text's.
            "models_label": (*models.to_window(models.x, models.y), models.width, models.height),
            # The new chat's title, 新建聊天 after the restart.
            "chat_title": chat_title,
            "starter": starter_at,
            "composer": composer_at,
            "language_menu": menu.to_window(menu.center_x, menu.center_y),
            "chinese": option.to_window(option.center_x, option.center_y),
        }
        menu.is_open = False
        pump(frames=2)
        return places
    finally:
        Window.size = size
        pump(frames=5)
        app.show_screen("chat")


def test_first_launch_starter_model_first_chat_language_and_restart(
    ui_app: Any, display: str, tmp_path: Path, starter_model: Path
) -> None:
    import numpy as np

    from llamadesk.core.paths import AppPaths
    from llamadesk.core.starter_model import starter_model_path

    places = measured_places(ui_app)
    app = RealWindow(display, tmp_path, shots_folder(tmp_path, "language"))
    # Nothing configured, no models. The starter GGUF is where the app's pip fetch puts it
    # (core/starter_model.py), taken from the tests' cache: the journey does not download.
    cached = starter_model_path(AppPaths.under(tmp_path / "app").cache_dir)
    cached.parent.mkdir(parents=True)
    cached.symlink_to(starter_model)
    try:
        app.start()
        first = app.shot("01-first-launch")
        assert app.config().get("language", "en") == "en"

        app.click_at(places["starter"])  # "Get starter model": fetched (here: found) and loaded
        app.shot("02-starter-model")
        app.click_at(places["composer"])
        app.type("Hello")
        # Enter sends once the model is ready; before, the text stays in the box.
        deadline = time.monotonic() + 120
        while not any(role == "user" for role, _state, _text in app.messages()):
            assert time.monotonic() < deadline, (
                f"the first message was never sent: {app.log.read_text()[-1500:]}"
            )
            app.xdotool("key", "Return")
            time.sleep(2)
        while not any(
            role == "assistant" and state == "complete" and text for role, state, text in app.messages()
        ):
            assert time.monotonic() < deadline, f"no answer: {app.messages()}"
            time.sleep(0.5)
        time.sleep(1.0)
        app.shot("03-first-chat")
        assert [role for role, _state, _text in app.messages()][:2] == ["user", "assistant"]

        app.click_at(places["nav_settings"])
        english = app.shot("04-settings")
        app.click_at(places["language_menu"])
        app.shot("05-language-menu")
        app.click_at(places["chinese"])
        deadline = time.monotonic() + 15
        while app.config().get("language") != "zh":
            assert time.monotonic() < deadline, "the language was not saved"
            time.sleep(0.2)
        time.sleep(1.0)
        chinese = app.shot("06-chinese-at-once")
        # The sidebar's Models button now reads 模型: its pixels changed, without a restart.
        label = places["models_label"]
        assert not np.allclose(crop(english, label), crop(chinese, label), atol=0.05)
        assert not np.allclose(first, chinese, atol=0.05)

        app.stop()
        # The starter model was kept in the library (in place), so the restarted window lists
        # it instead of offering it again.
        assert library_references(tmp_path / "app") == ["smollm2-135m-instruct:q4_1"]
        app.start()
        restarted = app.shot("07-after-restart")
        assert app.config()["language"] == "zh"
        assert not np.allclose(
            crop(restarted, places["chat_title"]), crop(first, places["chat_title"]), atol=0.05
        )
        # It opens on the chat, in Chinese: the same Models button as before the restart.
        assert np.mean(np.abs(crop(restarted, label) - crop(chinese, label))) < 0.02
        assert not np.allclose(crop(restarted, label), crop(english, label), atol=0.05)
    finally:
        app.stop()
