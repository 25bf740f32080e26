"""A real Kivy window (SDL offscreen) driven frame by frame; one app for the whole folder.

Kivy's window is a process singleton, so the window tests share one `LlamadeskApp`
(module `ui_app` fixture, session scope) and pump frames with `EventLoop.idle()`.
Kivy reads its environment at import: it is set here, before anything imports kivy.

Besides the default plugins the app has two more, as a user would install them: the
tutorial plugin (`examples/hello-plugin`: a `hello` settings section) and the tests'
backend plugin (`tests/fake_backend`: `scripted/echo`, a model served without a file).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="llamadesk-kivy-"))
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_ARGS", "1")

HANG_GUARD_S = 60
ROOT = Path(__file__).parents[2]
PLUGIN_FOLDERS = (ROOT / "examples" / "hello-plugin", ROOT / "tests" / "fake_backend")
EXTRA_PLUGINS = ("llamadesk_hello", "llamadesk_scripted")


def pump(until: Callable[[], object] = lambda: False, frames: int = 0, timeout: float = HANG_GUARD_S) -> None:
    """Run frames until `until()` is true (or `frames` frames); fail after `timeout` (a hang guard)."""
    from kivy.base import EventLoop

    deadline = time.monotonic() + timeout
    count = 0
    while True:
        EventLoop.idle()
        count += 1
        if frames and count >= frames:
            return
        if not frames and until():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture(scope="session")
def ui_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui-home")


@pytest.fixture(scope="session")
def ui_app(ui_home: Path) -> Iterator[object]:
    from kivy.config import Config

    Config.set("graphics", "width", "1200")
    Config.set("graphics", "height", "800")
    Config.set("kivy", "exit_on_escape", "0")
    from kivy.base import EventLoop

    from llamadesk.core.app import App
    from llamadesk.core.paths import AppPaths
    from llamadesk.core.plugins import DEFAULT_PLUGINS

    previous = os.environ.get("LLAMADESK_HOME")
    os.environ["LLAMADESK_HOME"] = str(ui_home)
    added = [str(folder) for folder in PLUGIN_FOLDERS if str(folder) not in sys.path]
    sys.path[:0] = added
    core = App(
        AppPaths.from_env(), load_entrypoints=False, default_plugins=(*DEFAULT_PLUGINS, *EXTRA_PLUGINS)
    ).start()
    from llamadesk.ui.app import LlamadeskApp

    app = LlamadeskApp(core.commands)
    app._run_prepare()  # build, attach to the window, on_start; frames are pumped by the tests
    EventLoop.start()
    pump(frames=5)
    yield app
    app.screens["chat"].stop()
    app.dispatch("on_stop")
    EventLoop.close()
    core.close()
    for folder in added:
        sys.path.remove(folder)
    if previous is None:
        os.environ.pop("LLAMADESK_HOME", None)
    else:
        os.environ["LLAMADESK_HOME"] = previous


ECHO = "scripted/echo"  # answers with the question's words (tests/fake_backend)


@pytest.fixture
def echo_loaded(ui_app: Any) -> Iterator[Any]:
    """The chat screen, shown, on a new chat with the echo model loaded; unloaded after."""
    from llamadesk.core.models.llama import ModelParams, UnloadResult

    chat = ui_app.screens["chat"]
    ui_app.show_screen("chat")
    chat.new_chat()
    chat.load_model(ECHO)
    pump(lambda: chat.model_state == "ready")
    yield chat
    ui_app.bridge.invoke("runtime.unload", ModelParams(model=ECHO), UnloadResult)
    ui_app.refresh_status()
    pump(lambda: chat.model_state == "")


# The library's real docker-registry fixture (session scope), reused for pulls from the window,
# and the real test hub (with its environment) for Discover.
from tests.plugins.huggingface.conftest import hf_env, hub, starter_hub_file, tiny_files  # noqa: E402, F401
from tests.plugins.oci.conftest import registry  # noqa: E402, F401

# One Xvfb for every journey (tests/ui/journey.py).
from .journey import display  # noqa: E402, F401
