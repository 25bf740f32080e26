"""Opens the app window on a command table."""

from __future__ import annotations

import os

from llamadesk.core.commands import CommandTable


def prepare_kivy_env() -> None:
    """Kivy reads these at import: keep it off our argv, and Esc must not quit the app."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")


def launch(commands: CommandTable) -> int:
    prepare_kivy_env()
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,multitouch_on_demand")
    from .app import LlamadeskApp

    LlamadeskApp(commands).run()
    return 0
