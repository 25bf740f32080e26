"""Screenshots of the real window for people to look at (`LLAMADESK_SHOTS`, else a temp folder)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .conftest import pump

SHOTS = Path(os.environ.get("LLAMADESK_SHOTS", Path(tempfile.gettempdir()) / "llamadesk-shots"))
# The offscreen window cannot grow past the size it opened at (1200x800, conftest.py).
SIZES = {"small": (800, 600), "wide": (1200, 800)}


def shoot(name: str, sizes: tuple[str, ...] = tuple(SIZES)) -> Path:
    """The window as it is now, at each of `sizes` (of SIZES), then back to its size; returns
    the folder."""
    from kivy.core.window import Window

    SHOTS.mkdir(parents=True, exist_ok=True)
    before = Window.size
    try:
        for label in sizes:
            Window.size = SIZES[label]
            pump(frames=12)
            Window.screenshot(name=str(SHOTS / f"{name}-{label}.png"))
    finally:
        Window.size = before
        pump(frames=6)
    return SHOTS
