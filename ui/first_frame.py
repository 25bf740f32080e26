"""Tells the outside world when the window has drawn its first frame, when asked by env var.

Tests and the bundle benchmark launch the real app (often from a PyInstaller
bundle, offscreen) and need proof that a frame reached the screen, and when:
`LLAMADESK_FIRST_FRAME_FILE=path` makes the app write JSON there after its first
buffer swap (`{"time": epoch seconds, "size": [w, h]}`), and
`LLAMADESK_QUIT_AFTER=seconds` closes the app that long after the first frame.
Without these variables nothing is bound and nothing is written.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

ENV_MARKER = "LLAMADESK_FIRST_FRAME_FILE"
ENV_QUIT_AFTER = "LLAMADESK_QUIT_AFTER"


def watch_first_frame(app: Any) -> None:
    """Call from the Kivy App's `on_start`, once the window exists."""
    marker = os.environ.get(ENV_MARKER)
    quit_after = os.environ.get(ENV_QUIT_AFTER)
    if not marker and not quit_after:
        return
    from kivy.clock import Clock
    from kivy.core.window import Window

    def on_first_flip(window: Any) -> None:
        Window.unbind(on_flip=on_first_flip)
        if marker:
            _write_marker(Path(marker), {"time": time.time(), "size": list(window.size)})
        if quit_after:
            Clock.schedule_once(lambda _dt: app.stop(), float(quit_after))

    Window.bind(on_flip=on_first_flip)


def _write_marker(path: Path, data: dict[str, Any]) -> None:
    """Whole or absent: a reader polling for the file never sees half of it."""
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(data))
    temp.replace(path)
