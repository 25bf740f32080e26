"""Opens the app window on a command table.

What must survive changes here: KIVY_NO_ARGS before importing Kivy, and
`watch_first_frame(app)` in the app's `on_start` (tests and the bundle
benchmark rely on it).
"""

from __future__ import annotations

import os

from llamadesk.core.commands import CommandTable


def prepare_kivy_env() -> None:
    """Kivy reads these at import: keep it off our argv and its log off the console."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our CLI parses the arguments, not Kivy
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")


def launch(commands: CommandTable) -> int:
    prepare_kivy_env()
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")  # Esc stops an answer; it never quits the app
    Config.set("input", "mouse", "mouse,multitouch_on_demand")
    from .app import LlamadeskApp

    LlamadeskApp(commands).run()
    return 0
