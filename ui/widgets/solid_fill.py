# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""A widget whose background is one opaque colour, filled by a scissored clear.

On software GL (Mesa's llvmpipe) a coloured Rectangle is a blended, textured
quad: every pixel under it is read, sampled and written. Clearing a scissored
rectangle to the same colour writes each pixel once, about a third of the
cost (measured: 1.4 against 3.8 ms of GL time for 320,000 pixels); the
sidebar's background is 216,000 pixels of every frame. The scissor follows
the widget on screen (window_scissor.py); rows inside a scrolling list would
move it every frame, so this is for the shell's sidebar and status bar.
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import ClearBuffers, ClearColor, ScissorPop, ScissorPush
from kivy.properties import ColorProperty
from kivy.uix.widget import Widget

from .window_scissor import WindowScissor


class SolidFill(Widget):
    fill_color = ColorProperty((0, 0, 0, 0))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        scissor = ScissorPush()
        self._clear_color = ClearColor(0, 0, 0, 0)
        fill = (
            scissor,
            self._clear_color,
            ClearBuffers(clear_color=True, clear_depth=False, clear_stencil=False),
            ScissorPop(),
        )
        for index, instruction in enumerate(fill):  # first: under whatever kv rules draw
            self.canvas.before.insert(index, instruction)
        self._fill_area = WindowScissor(self, scissor)
        self.fbind("fill_color", self._paint)
        self._paint()

    def _paint(self, *_: Any) -> None:
        self._clear_color.rgba = self.fill_color
