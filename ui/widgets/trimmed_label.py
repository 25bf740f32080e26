# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""A Label that draws only the columns of its texture that hold text.

A Label wrapped at a width (`text_size` set) renders a texture that wide,
however short its lines: a one-line answer, a list item or a line of code is
a texture of the full message width, mostly transparent. A software GL (Mesa's
llvmpipe) still samples and blends every pixel of it on every frame (~3.8 ms
of GL time per 320,000 pixels). This label draws the span between its leftmost
and rightmost line, found from the laid-out lines, with the texture
coordinates cut to match: the same pixels on screen, fewer drawn. In the
benchmark's chat (benchmarks/ui_streaming.py) most message text is such short
lines.
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Rectangle
from kivy.properties import BooleanProperty
from kivy.uix.label import Label

MARGIN = 2  # px kept each side of the text: italic and bold glyphs overhang their advance


class TrimmedLabel(Label):
    trimmed = BooleanProperty(True)  # set by its kv rule, which exists for its "-" only

    def __init__(self, **kwargs: Any) -> None:
        self._rect = Rectangle()
        self._span = (0, 0)  # columns of the current texture holding text
        super().__init__(**kwargs)
        # Label's kv rule, which draws the whole texture, is not applied (trimmed_label.kv).
        self.canvas.add(Color(1, 1, 1, 1))
        self.canvas.add(self._rect)
        self.fbind("texture", self._measure)
        for name in ("pos", "size"):
            self.fbind(name, self._draw)
        self._measure()

    @property
    def drawn_span(self) -> tuple[int, int]:
        """(left, right) texture columns drawn, of the current texture."""
        return self._span

    def _measure(self, *_: Any) -> None:
        """Find the span when the texture is new: the core label's lines are those it was
        rendered from now (later layouts, for measuring, replace them)."""
        texture = self.texture
        if texture is not None:
            # A plain label's texture is filled (and its lines placed) when first bound; Kivy
            # binds a markup label's at once. Same work, done now instead of at the draw.
            texture.bind()
        self._span = text_span(self._label._cached_lines, texture.width) if texture else (0, 0)
        self._draw()

    def _draw(self, *_: Any) -> None:
        rect, texture = self._rect, self.texture
        if texture is None:
            rect.texture, rect.size = None, (0, 0)
            return
        width, height = texture.size
        left, right = self._span
        rect.texture = texture  # resets tex_coords to the whole texture's: cut them after
        u0, v0, u1, v1, u2, v2, u3, v3 = texture.tex_coords
        start, end = left / width, right / width
        # Corners: bottom-left, bottom-right, top-right, top-left; the span cuts u only.
        rect.tex_coords = (
            u0 + (u1 - u0) * start,
            v0,
            u0 + (u1 - u0) * end,
            v1,
            u3 + (u2 - u3) * end,
            v2,
            u3 + (u2 - u3) * start,
            v3,
        )
        # Where Label draws its whole texture (centred), shifted to the span. Not from
        # center_x: in a size event that alias may not have been updated yet.
        x, y = self.pos
        w, h = self.size
        rect.pos = int(x + w / 2.0 - width / 2.0) + left, int(y + h / 2.0 - height / 2.0)
        rect.size = right - left, height


def text_span(lines: Any, width: int) -> tuple[int, int]:
    """(left, right) pixel columns covering every laid-out line, within [0, width]."""
    spans = [(line.x, line.x + line.w) for line in lines if line.w > 0]
    if not spans:
        return 0, width
    left = max(0, int(min(s[0] for s in spans)) - MARGIN)
    right = min(width, int(max(s[1] for s in spans)) + 1 + MARGIN)
    return (left, right) if right > left else (0, width)
