"""Offscreen, finish each frame before starting the next, as a window's buffer swap does.

With no display (SDL's offscreen driver: tests, benchmarks, screenshots, a
headless machine), the buffer swap waits for nothing, and a software GL such
as Mesa's llvmpipe queues whole frames: the Kivy thread ran seconds ahead of
the frames actually drawn (llvmpipe kept both cores busy for seconds after the
app had quit), starving everything else, a model's threads included. A real
window's swap with software GL waits until the frame is rasterized to copy it
to the screen; `glFinish()` after each flip does the same here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Callable
from typing import Any


def is_offscreen() -> bool:
    if os.environ.get("SDL_VIDEODRIVER") == "offscreen":
        return True
    # SDL falls back to its offscreen driver on Linux when there is no display at all.
    return sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def _gl_finish() -> Callable[[], Any]:
    """glFinish through ctypes, which lets go of the GIL while the frame is rasterized (Kivy's
    own binding holds it: the worker threads relaying tokens would stop for that long)."""
    for name in ("OpenGL", "GL"):
        path = ctypes.util.find_library(name)
        if path:
            try:
                return ctypes.CDLL(path).glFinish
            except (OSError, AttributeError):
                continue
    from kivy.graphics.opengl import glFinish

    finish: Callable[[], Any] = glFinish
    return finish


def finish_frames_when_offscreen(window: Any) -> None:
    if not is_offscreen():
        return
    finish = _gl_finish()
    window.bind(on_flip=lambda *_: finish())
