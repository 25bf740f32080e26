# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""A widget that draws textures stacked top to bottom, each at its own left offset.

The pieces of text drawn by `CodeLines` (a texture per line of code) and
`LiveText` (a streamed paragraph's settled lines and its live end) are laid
out by this one widget; each texture is drawn at its own size, so nothing
transparent beside the text is drawn (a software GL pays for every pixel).
"""

from __future__ import annotations

from typing import Any

from kivy.core.text.markup import MarkupLabel
from kivy.graphics import Color, InstructionGroup, Rectangle
from kivy.graphics.texture import Texture
from kivy.uix.widget import Widget


def render_markup(
    markup: str,
    font_name: str,
    font_size: float,
    color: tuple[float, ...],
    wrap: int | None,
    line_height: float = 1.0,
) -> MarkupLabel:
    """A core markup label rendered now, left-aligned, wrapped at `wrap` px (None: not)."""
    label = MarkupLabel(
        text=markup,
        font_name=font_name,
        font_size=font_size,
        color=color,
        line_height=line_height,
        halign="left",
        valign="top",
        text_size=(wrap, None),
    )
    label.refresh()
    return label


def region(texture: Texture, left: int, top: int, width: int, height: int) -> Texture:
    """The part of a label's texture `top` px below its top edge (a label's texture is
    flipped: Kivy's region rows count from its bottom)."""
    return texture.get_region(left, texture.height - top - height, width, height)


class TextureStack(Widget):
    def __init__(self, **kwargs: Any) -> None:
        self._group = InstructionGroup()
        self._pieces: list[tuple[Texture, int]] = []  # (texture, left offset in px)
        self._rects: list[Rectangle] = []
        super().__init__(**kwargs)
        self._group.add(Color(1, 1, 1, 1))
        self.canvas.add(self._group)
        self.fbind("pos", self._place)

    @property
    def textures(self) -> list[Texture]:
        return [texture for texture, _left in self._pieces]

    def stack(self, pieces: list[tuple[Texture, int]], width: float | None = None) -> None:
        """Draw `pieces` from the top; the height is theirs, the width `width` or theirs."""
        # Rectangles already drawn are given their new texture in place: changing what the
        # canvas holds would cost more than changing what an instruction draws.
        rects, group = self._rects, self._group
        for index, (texture, _left) in enumerate(pieces):
            if index == len(rects):
                rects.append(Rectangle())
                group.add(rects[index])
            rect = rects[index]
            if rect.texture is not texture:
                rect.texture, rect.size = texture, texture.size
        for rect in rects[len(pieces) :]:
            group.remove(rect)
        del rects[len(pieces) :]
        self._pieces = pieces
        self.size = (
            width if width is not None else max((t.width + left for t, left in pieces), default=0),
            sum(t.height for t, _left in pieces),
        )
        self._place()

    def _place(self, *_: Any) -> None:
        """Moved (rows above grew, the list scrolled): only the rectangles move."""
        x, top = int(self.x), int(self.top)
        for rect, (texture, left) in zip(self._rects, self._pieces, strict=True):
            top -= texture.height
            rect.pos = (x + left, top)
