"""Opens the app window on a command table (the Kivy app arrives with the UI issue)."""

from __future__ import annotations

import sys

from llamadesk.core.commands import CommandTable


def launch(commands: CommandTable) -> int:
    print("The llamadesk window is not built yet; use the CLI (llamadesk --help).", file=sys.stderr)
    return 1
