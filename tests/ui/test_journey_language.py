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

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llamadesk.ui import theme

from .conftest import pump

SIZE = (1280, 800)
TOOLS = ("Xvfb", "xdotool", "import")  # make system-deps installs xvfb, xdotool, imagemagick


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not missing, f"{missing} missing: `make system-deps` installs them"
    number = next(n for n in range(91, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert server.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.1)
    yield f":{number}"
    server.terminate()
    server.wait(10)


class RealWindow:
    """The app as a person starts it, on `display`, with its own home."""

    def __init__(self, display: str, home: Path, shots: Path) -> None:
        self.display, self.home, self.shots = display, home, shots
        self.process: subprocess.Popen[bytes] | None = None
        self.log = home / "app.log"

    def start(self) -> None:
        frame = self.home / "first-frame.json"
        frame.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "KIVY_HOME")}
        env.update(
            DISPLAY=self.display,
            LLAMADESK_HOME=str(self.home / "app"),
            KIVY_HOME=str(self.home / "kivy"),
            LLAMADESK_FIRST_FRAME_FILE=str(frame),
        )
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "llamadesk")], env=env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 90
        while not frame.exists():
            assert self.process.poll() is None, f"the app exited: {self.log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "no first frame in 90 s"
            time.sleep(0.2)
        # No window manager: the window opens at 800x600 wherever; size and place it, then give
        # Kivy time to take the new size (else clicks map onto the old one).
        window = self.xdotool("search", "--sync", "--onlyvisible", "--pid", str(self.process.pid)).split()[0]
        self.xdotool("windowsize", window, str(SIZE[0]), str(SIZE[1]))
        self.xdotool("windowmove", window, "0", "0")
        time.sleep(2.5)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(
            ["xdotool", *args], env={**os.environ, "DISPLAY": self.display}, capture_output=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.decode()

    def click(self, at: tuple[float, float]) -> None:
        """A click at a point in Kivy's coordinates (from the bottom left)."""
        x, y = int(at[0]), int(SIZE[1] - at[1])
        self.xdotool("mousemove", str(x), str(y))
        time.sleep(0.3)  # a move and a click in one call is sometimes missed
        self.xdotool("click", "1")
        time.sleep(1.0)

    def shot(self, name: str) -> Any:
        from matplotlib.image import imread

        path = self.shots / f"{name}.png"
        subprocess.run(
            ["import", "-display", self.display, "-window", "root", str(path)], check=True, timeout=30
        )
        return imread(str(path))[:, :, :3]

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "60", text)

    def messages(self) -> list[tuple[str, str, str]]:
        """(role, state, content) of every stored message, oldest first."""
        found = list((self.home / "app").rglob("chats.db"))
        if not found:
            return []
        with sqlite3.connect(found[0], timeout=5) as db:
            return list(db.execute("SELECT role, state, content FROM messages ORDER BY seq"))

    def config(self) -> dict[str, Any]:
        found = list((self.home / "app").rglob("config.json"))
        return json.loads(found[0].read_text()) if found else {}


def crop(pixels: Any, box: tuple[float, float, float, float]) -> Any:
    """A box given in Kivy's coordinates (x, y from the bottom left, width, height)."""
    x, y, w, h = (int(v) for v in box)
    top = SIZE[1] - y - h
    return pixels[top : top + h, x : x + w]


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


def library_references(home: Path) -> list[str]:
    """The models the app at `home` lists, read with the app stopped."""
    from llamadesk.core.app import App
    from llamadesk.core.models.library import ModelList
    from llamadesk.core.paths import AppPaths

    app = App(AppPaths.under(home), load_entrypoints=False).start()
    try:
        listing = app.commands.invoke("models.list", {})
        assert isinstance(listing, ModelList)
        return [model.reference for model in listing.models]
    finally:
        app.close()


def answer_models(home: Path) -> list[str]:
    with sqlite3.connect(next(home.rglob("chats.db")), timeout=5) as db:
        return [row[0] for row in db.execute("SELECT DISTINCT model FROM messages WHERE role = 'assistant'")]


def test_first_launch_starter_model_first_chat_language_and_restart(
    ui_app: Any, display: str, tmp_path: Path, starter_model: Path
) -> None:
    import numpy as np

    from llamadesk.core.paths import AppPaths
    from llamadesk.core.starter_model import starter_model_path

    places = measured_places(ui_app)
    shots = Path(os.environ.get("LLAMADESK_JOURNEY_SHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    app = RealWindow(display, tmp_path, shots)
    # Nothing configured, no models. The starter GGUF is where the app's pip fetch puts it
    # (core/starter_model.py), taken from the tests' cache: the journey does not download.
    cached = starter_model_path(AppPaths.under(tmp_path / "app").cache_dir)
    cached.parent.mkdir(parents=True)
    cached.symlink_to(starter_model)
    try:
        app.start()
        first = app.shot("01-first-launch")
        assert app.config().get("language", "en") == "en"

        app.click(places["starter"])  # "Get starter model": fetched (here: found) and loaded
        app.shot("02-starter-model")
        app.click(places["composer"])
        app.type("Hello")
        # Enter sends once the model is ready; before, the text stays in the box.
        deadline = time.monotonic() + 300  # a hang guard: a long answer on a busy machine takes minutes
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
        # The answer names the model as the library does (and as every later launch will).
        assert answer_models(tmp_path / "app") == ["smollm2-135m-instruct:q4_1"]

        app.click(places["nav_settings"])
        english = app.shot("04-settings")
        app.click(places["language_menu"])
        app.shot("05-language-menu")
        app.click(places["chinese"])
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
