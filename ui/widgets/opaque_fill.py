# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""A rounded background of one opaque colour, drawn mostly with blending off.

A RoundedRectangle is a triangle fan that a software GL (Mesa's llvmpipe)
rasterizes and blends pixel by pixel: ~4.9 ms of GL time per 320,000 pixels,
the most expensive thing a code block draws (~1.7 ms of every frame of the
benchmark's chat, benchmarks/ui_streaming.py). Over an opaque background an
opaque colour needs no blending: the body is three rectangles drawn with
GL_BLEND off (~2.9 ms per 320,000 pixels measured), and only the four corner
arcs, a few dozen pixels each, are blended as before.

With blending off a widget's opacity is ignored (Kivy applies it as alpha), so
this is for widgets no ancestor fades: the message list's rows (screens switch
without a transition), not buttons inside boxes shown and hidden by opacity.
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import Callback, Color, Ellipse, InstructionGroup, Rectangle
from kivy.graphics.opengl import GL_BLEND, glDisable, glEnable
from kivy.metrics import dp
from kivy.properties import ColorProperty, NumericProperty
from kivy.uix.widget import Widget

CORNER_SEGMENTS = 6  # per quarter circle: at a radius of 8 dp, smooth enough


class OpaqueRoundedFill(Widget):
    """Mixin: fills the widget with `fill_color` (drawn only when opaque), corners rounded."""

    fill_color = ColorProperty((0, 0, 0, 0))
    fill_radius = NumericProperty(dp(8))
    fill_inset_x = NumericProperty(0)  # left and right margin inside the widget

    def __init__(self, **kwargs: Any) -> None:
        self._fill = InstructionGroup()
        self._fill_color = Color(0, 0, 0, 0)
        self._body = [Rectangle() for _ in range(3)]  # middle column, left and right strips
        self._corners = [Ellipse(segments=CORNER_SEGMENTS) for _ in range(4)]
        self._fill.add(self._fill_color)
        self._fill.add(Callback(_blend_off))
        for rect in self._body:
            self._fill.add(rect)
        self._fill.add(Callback(_blend_on))
        for corner in self._corners:
            self._fill.add(corner)
        super().__init__(**kwargs)
        self.canvas.before.insert(0, self._fill)  # under whatever kv rules draw
        for name in ("pos", "size", "fill_color", "fill_radius", "fill_inset_x"):
            self.fbind(name, self._place_fill)
        self._place_fill()

    @property
    def filled_area(self) -> float:
        """Pixels drawn with blending off (the body rectangles), for tests."""
        return float(sum(rect.size[0] * rect.size[1] for rect in self._body))

    def _place_fill(self, *_: Any) -> None:
        self._fill_color.rgba = self.fill_color
        x, y = self.pos
        w, h = self.size
        x, w = x + self.fill_inset_x, w - 2 * self.fill_inset_x
        r = min(self.fill_radius, w / 2, h / 2)
        if self.fill_color[3] < 1 or w <= 0 or h <= 0:
            r, w, h = 0, 0, 0  # a colour to blend (or nothing to fill): draw nothing
        middle, left, right = self._body
        middle.pos, middle.size = (x + r, y), (w - 2 * r, h)
        left.pos, left.size = (x, y + r), (r, h - 2 * r)
        right.pos, right.size = (x + w - r, y + r), (r, h - 2 * r)
        # Quarter circles at the corners: (centre, start angle); Kivy's angles run clockwise
        # from 12 o'clock.
        corners = (
            ((x + r, y + r), 180),  # bottom-left
            ((x + w - r, y + r), 90),  # bottom-right
            ((x + w - r, y + h - r), 0),  # top-right
            ((x + r, y + h - r), 270),  # top-left
        )
        for ellipse, ((cx, cy), start) in zip(self._corners, corners, strict=True):
            ellipse.pos, ellipse.size = (cx - r, cy - r), (2 * r, 2 * r)
            ellipse.angle_start, ellipse.angle_end = start, start + 90


def _blend_off(*_: Any) -> None:
    glDisable(GL_BLEND)


def _blend_on(*_: Any) -> None:
    glEnable(GL_BLEND)
