"""Code drawn one texture per line, each line's texture kept and shared.

A code block shown as one Label is rendered whole whenever its text changes.
While an answer streams, the code block at its end grows line by line and is
rendered again on every frame, and once more when it is frozen into its own
row (ui/viewmodels/streaming.py): 3 to 5 ms of Python for 12 short lines on 2
cores, the longest frames of the benchmark's stream. Here each line of
highlighted markup (code_highlight.py keeps every line self-contained) gets
its own texture, kept in a cache keyed by what it shows; a block drawn again,
grown by a line or frozen, renders only its new lines. The new lines of a
block are rendered as one label, cut into a texture region per line: one
render of 12 lines costs ~1.2 ms, twelve renders of one line ~2 to 3 ms.

A line is as wide as its text (nothing transparent is drawn beside it); a line
wider than the block wraps at the block's width, as the Label did.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from kivy.graphics.texture import Texture
from kivy.properties import ColorProperty, NumericProperty, StringProperty

from .texture_stack import TextureStack, region, render_markup

KEPT_LINES = 2000  # a line's texture is a few KB: a few MB in all


class LineTextures:
    """An LRU of rendered line textures, keyed by markup, font, colour and wrap width."""

    def __init__(self, kept: int = KEPT_LINES) -> None:
        self._kept = kept
        self._textures: OrderedDict[tuple[Any, ...], Texture] = OrderedDict()

    def __len__(self) -> int:
        return len(self._textures)

    def get(
        self, lines: list[str], font_name: str, font_size: float, color: tuple[float, ...], wrap: int
    ) -> list[Texture]:
        """A texture for each line of markup; the lines not kept are rendered now, together."""
        style = (font_name, font_size, color, wrap)
        kept = self._textures
        missing = list(dict.fromkeys(line for line in lines if (line, *style) not in kept))
        if missing:
            rendered = _render_lines(missing, font_name, font_size, color, wrap)
            for line, texture in zip(missing, rendered, strict=True):
                kept[(line, *style)] = texture
        textures = []
        for line in lines:
            kept.move_to_end((line, *style))
            textures.append(kept[(line, *style)])
        while len(kept) > self._kept:
            kept.popitem(last=False)
        return textures


def _render_lines(
    lines: list[str], font_name: str, font_size: float, color: tuple[float, ...], wrap: int
) -> list[Texture]:
    """One label for all the lines (one render costs far less than one per line), cut into a
    region per line; a line wider than `wrap` is rendered again on its own, wrapped."""
    label = render_markup("\n".join(lines), font_name, font_size, color, None)
    laid_out = label._cached_lines
    if len(laid_out) != len(lines):  # never seen; one label per line is always right
        return [_render_one(line, font_name, font_size, color, wrap) for line in lines]
    texture: Texture = label.texture
    regions: list[Texture] = []
    top = 0
    for line, layout in zip(lines, laid_out, strict=True):
        height = int(layout.h)
        if layout.w > wrap:
            regions.append(_render_one(line, font_name, font_size, color, wrap))
        else:
            regions.append(region(texture, int(layout.x), top, max(1, int(layout.w)), height))
        top += height
    return regions


def _render_one(
    markup: str, font_name: str, font_size: float, color: tuple[float, ...], wrap: int
) -> Texture:
    texture: Texture = render_markup(markup or " ", font_name, font_size, color, None).texture
    if texture.width > wrap:
        texture = render_markup(markup, font_name, font_size, color, wrap).texture
    return texture


LINE_TEXTURES = LineTextures()  # shared by every code block of the app


class CodeLines(TextureStack):
    """Lines of code markup stacked top to bottom; `show` lays them out for a width."""

    font_name = StringProperty("Roboto")
    font_size = NumericProperty(15)
    color = ColorProperty((1, 1, 1, 1))

    def __init__(self, **kwargs: Any) -> None:
        self._markup: str | None = None
        self.wrap = 0
        super().__init__(**kwargs)
        for name in ("font_name", "font_size", "color"):
            self.fbind(name, self._restyle)

    def show(self, markup: str, wrap_width: float) -> None:
        """Draw `markup` (one line of code per line) wrapped at `wrap_width`; sets the size."""
        self._markup, self.wrap = markup, max(1, int(wrap_width))
        style = (self.font_name, self.font_size, tuple(self.color))
        self.stack([(texture, 0) for texture in LINE_TEXTURES.get(markup.split("\n"), *style, self.wrap)])

    def _restyle(self, *_: Any) -> None:
        if self._markup is not None:  # a theme change: the lines in their new colour
            self.show(self._markup, self.wrap)
