"""The journeys' driver: the real app in a real X window (Xvfb), clicked and typed into with
xdotool as a person does, the screen saved with ImageMagick's `import` at each step.

The app runs from an empty home of its own (LLAMADESK_HOME, KIVY_HOME, HOME and HF_HOME in
the test's folder, so nothing of the machine's own apps leaks in). Where to click comes from
the window itself: tests/ui/journey_probe.py starts the app as `llamadesk` does and, when
asked, lists the visible widgets with their text and place, so a journey clicks "the Pull
button in the Q4_1 row" the way a person reads the screen. Waits poll a condition with a
generous bound (a hang guard), never a fixed sleep where something can be watched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

SIZE = (1280, 800)
TOOLS = ("Xvfb", "xdotool", "import")  # make system-deps installs xvfb, xdotool, imagemagick
PROBE = Path(__file__).with_name("journey_probe.py")
# The tests' own window settings and this machine's Hugging Face setup stay out of the app's.
OWN_KEYS = ("text", "cls", "id", "enabled", "focused")  # the rest of a match is the row's context
LEFT_OUT = (
    "SDL_VIDEODRIVER",
    "KIVY_HOME",
    "HF_HUB_CACHE",
    "HF_ENDPOINT",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
)


@pytest.fixture(scope="session")
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


def shots_folder(tmp_path: Path, journey: str) -> Path:
    """LLAMADESK_JOURNEY_SHOTS/<journey> when set (to look at them), else the test's folder."""
    base = os.environ.get("LLAMADESK_JOURNEY_SHOTS")
    folder = Path(base) / journey if base else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def wait_until(check: Callable[[], Any], timeout: float, what: str | Callable[[], str]) -> Any:
    """`check()`'s first truthy value, polled; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"within {timeout:.0f} s: {what() if callable(what) else what}")
        time.sleep(0.2)


class RealWindow:
    """The app as a person starts it, on `display`, with its own home under `home`."""

    def __init__(self, display: str, home: Path, shots: Path, env: dict[str, str] | None = None) -> None:
        self.display, self.home, self.shots = display, home, shots
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = home / "app.log"
        self.probe = home / "probe"
        self.user_home = home / "user"  # HOME: the file dialogs open here; other apps' folders
        self.user_home.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        frame = self.home / "first-frame.json"
        frame.unlink(missing_ok=True)
        self.probe.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in LEFT_OUT}
        env.update(
            DISPLAY=self.display,
            HOME=str(self.user_home),
            HF_HOME=str(self.user_home / ".cache" / "huggingface"),
            LLAMADESK_HOME=str(self.home / "app"),
            KIVY_HOME=str(self.home / "kivy"),
            LLAMADESK_FIRST_FRAME_FILE=str(frame),
            LLAMADESK_JOURNEY_PROBE=str(self.probe),
            NO_PROXY=",".join(filter(None, [env.get("NO_PROXY"), "127.0.0.1", "localhost"])),
        )
        env.update(self.env)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, str(PROBE)], env=env, stdout=log, stderr=log)
        wait_until(lambda: self._alive() and frame.exists(), 90, lambda: f"no first frame: {self.log_tail()}")
        # No window manager: the window opens at 800x600 wherever; size and place it, then
        # wait until Kivy has taken the new size (else clicks map onto the old one).
        window = self.xdotool("search", "--sync", "--onlyvisible", "--pid", str(self.process.pid)).split()[0]
        self.xdotool("windowsize", window, str(SIZE[0]), str(SIZE[1]))
        self.xdotool("windowmove", window, "0", "0")
        wait_until(lambda: self._layout()["size"] == list(SIZE), 30, "the window never took its size")
        time.sleep(0.5)  # the layout settles a frame or two after the size

    def _alive(self) -> bool:
        assert self.process is not None and self.process.poll() is None, f"the app exited: {self.log_tail()}"
        return True

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2500:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.shot("zz-last")  # what the window showed last, also when a step failed
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    # ---- seeing ---------------------------------------------------------------------------
    def _layout(self) -> dict[str, Any]:
        """The window's visible widgets now (journey_probe.py answers within a frame or so)."""
        nonce = uuid.uuid4().hex
        answer = self.probe / "widgets.json"
        (self.probe / "ask").write_text(nonce)

        def answered() -> dict[str, Any] | None:
            self._alive()
            try:
                layout: dict[str, Any] = json.loads(answer.read_text())
            except (OSError, ValueError):
                return None
            return layout if layout["nonce"] == nonce else None

        return wait_until(answered, 30, "the window did not say what it shows")  # type: ignore[no-any-return]

    def widgets(self, **match: Any) -> list[dict[str, Any]]:
        """Visible widgets matching: text=, cls=, id=, enabled=True, focused=, and any row context key
        (name=, repo_id=, role=...). Topmost layer (an open dialog) only, as a person sees it."""
        found = []
        for widget in self._layout()["widgets"]:
            if "text" in match and widget["text"] != match["text"]:
                continue
            if "cls" in match and widget["class"] != match["cls"]:
                continue
            if "id" in match and match["id"] not in widget["ids"]:
                continue
            if match.get("enabled") and widget["disabled"]:
                continue
            if "focused" in match and widget["focus"] != match["focused"]:
                continue
            context = {k: v for k, v in match.items() if k not in OWN_KEYS}
            if any(widget["context"].get(k) != v for k, v in context.items()):
                continue
            found.append(widget)
        top = min((w["layer"] for w in found), default=0)
        return [w for w in found if w["layer"] == top]

    def find(self, timeout: float = 30, **match: Any) -> dict[str, Any]:
        """The one visible widget matching (the first when several), waited for."""
        found = wait_until(lambda: self.widgets(**match), timeout, lambda: f"nothing shows {match}")
        return found[0]  # type: ignore[no-any-return]

    def shot(self, name: str) -> Any:
        from matplotlib.image import imread

        path = self.shots / f"{name}.png"
        subprocess.run(
            ["import", "-display", self.display, "-window", "root", str(path)], check=True, timeout=30
        )
        return imread(str(path))[:, :, :3]

    # ---- acting ---------------------------------------------------------------------------
    def xdotool(self, *args: str) -> str:
        done = subprocess.run(
            ["xdotool", *args], env={**os.environ, "DISPLAY": self.display}, capture_output=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.decode()

    def click_at(self, at: tuple[float, float]) -> None:
        """A click at a point in Kivy's coordinates (from the bottom left)."""
        x, y = int(at[0]), int(SIZE[1] - at[1])
        self.xdotool("mousemove", str(x), str(y))
        time.sleep(0.3)  # a move and a click in one call is sometimes missed
        self.xdotool("click", "1")
        time.sleep(1.0)  # the press is handled on the app's next frames

    def click(
        self,
        timeout: float = 30,
        then: dict[str, Any] | Callable[[], Any] | None = None,
        **match: Any,
    ) -> dict[str, Any]:
        """Waits for the widget (enabled), then clicks its middle. With `then` (a match, or a
        check that is true once the click took effect), a click that `then` does not follow
        within 10 s is made again, as a person would (a list moving under the pointer, a busy
        machine): `then` must say whether the first click did anything."""
        for attempt in range(3):
            widget = self.find(timeout, enabled=True, **match)
            x, y, w, h = widget["rect"]
            self.click_at((x + w / 2, y + h / 2))
            if then is None:
                return widget
            check = then if callable(then) else lambda: self.widgets(**then)
            try:
                wait_until(check, 10, f"{match} was clicked, and nothing followed")
                return widget
            except AssertionError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "40", text)

    def key(self, name: str) -> None:
        self.xdotool("key", name)

    def send_and_wait(self, text: str) -> None:
        """Type a message into the chat's box, send it with Enter, and wait until it is answered
        and the chat is the user's again (Send back: the answer stored)."""
        self.click(id="composer", then={"id": "composer", "focused": True})
        self.type(text)
        self.key("Return")
        # A hang guard: a long answer on a busy machine took over 120 s.
        wait_until(lambda: answered(self), 300, lambda: f"no answer: {self.messages()}")
        self.find(cls="FlatButton", text="Send", timeout=120)

    # ---- what the app stored -------------------------------------------------------------
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


def starter_in_cache(home: Path, starter_model: Path) -> None:
    """The starter GGUF where the app's pip fetch puts it under `home`, taken from the tests'
    cache: "Get starter model" finds it there instead of downloading."""
    from llamadesk.core.paths import AppPaths
    from llamadesk.core.starter_model import starter_model_path

    cached = starter_model_path(AppPaths.under(home / "app").cache_dir)
    cached.parent.mkdir(parents=True)
    cached.symlink_to(starter_model)


def configure(home: Path, values: dict[str, Any]) -> None:
    """Settings written before the first launch, through the app's own config.set."""
    from llamadesk.core.app import App
    from llamadesk.core.models.settings import ConfigSetParams
    from llamadesk.core.paths import AppPaths

    app = App(AppPaths.under(home / "app"), load_entrypoints=False).start()
    try:
        app.commands.invoke("config.set", ConfigSetParams(values=values))
    finally:
        app.close()


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


def answered(window: RealWindow, count: int = 1) -> bool:
    """`count` answers complete and not empty."""
    done = [m for m in window.messages() if m[0] == "assistant" and m[1] == "complete" and m[2]]
    return len(done) >= count
