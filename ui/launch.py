"""Opens the app window on a command table.

A placeholder window until the UI issue lands; what must survive that: KIVY_NO_ARGS
before importing Kivy, and `watch_first_frame(app)` in `on_start` (tests and the
bundle benchmark rely on it).
"""

from __future__ import annotations

import os

from llamadesk.core.commands import CommandTable


def launch(commands: CommandTable) -> int:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our CLI parses the arguments, not Kivy
    from kivy.app import App
    from kivy.uix.label import Label

    from .first_frame import watch_first_frame

    class LlamadeskApp(App):  # type: ignore[misc]
        title = "llamadesk"

        def build(self) -> Label:
            count = len(commands.ids())
            return Label(text=f"llamadesk\n{count} commands ready; the full window arrives with the UI")

        def on_start(self) -> None:
            watch_first_frame(self)

    LlamadeskApp().run()
    return 0
