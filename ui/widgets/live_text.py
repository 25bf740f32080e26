"""A streamed paragraph drawn as settled lines plus a live end.

The paragraph at the end of a streaming answer grows on every frame. As one
Label it is laid out and rendered whole each time: ~3.5 ms for 330 characters
on 2 cores, late in every paragraph and again when the paragraph is frozen
into its own row (ui/viewmodels/streaming.py). Wrapping is greedy, so once a
paragraph runs onto a new line, the lines above it no longer change. Those
lines are kept as a region of the texture they were rendered in; only the
text from the last line on is laid out and rendered again: a line or two,
however long the paragraph grows. Markup tags still open where a line is cut
are opened again for the rest (markup.split_visible).

Used for the rows of an answer while it streams; once stored, the answer is
drawn by ordinary labels again (links clickable, wrapped anew on resize).
"""

from __future__ import annotations

from typing import Any

from kivy.graphics.texture import Texture
from kivy.properties import ColorProperty, NumericProperty, StringProperty

from llamadesk.ui.viewmodels.markup import split_visible, unmarked

from .texture_stack import TextureStack, region, render_markup
from .trimmed_label import text_span

# The live end is settled once it runs over this many lines. Each settled piece is one more
# rectangle to draw on every frame (~20 us each, software GL); each line left live is laid
# out and rendered again on every change (~0.3 ms for a line of the benchmark's chat). With
# 2, the benchmark's layout and rendering took 0.75-0.87 ms a frame, with 1, 0.49-0.56 ms,
# and drawing took no longer.
SETTLE_AFTER_LINES = 1


class LiveText(TextureStack):
    font_name = StringProperty("Roboto")
    font_size = NumericProperty(15)
    color = ColorProperty((1, 1, 1, 1))
    line_height = NumericProperty(1.0)

    def __init__(self, **kwargs: Any) -> None:
        self._style: tuple[Any, ...] = ()
        self._settled: list[tuple[Texture, int]] = []  # pieces of lines that no longer change
        self._settled_markup = ""  # the markup they show, up to where the live end starts
        self._open_tags = ""  # the tags still open at that point
        self._markup = ""
        super().__init__(**kwargs)

    @property
    def markup(self) -> str:
        return self._markup

    def show(self, markup: str, width: float) -> None:
        """Draw `markup` wrapped at `width`, rendering only what may still change."""
        style = (int(width), self.font_name, self.font_size, tuple(self.color), self.line_height)
        if style != self._style or not markup.startswith(self._settled_markup):
            self._style = style
            self._settled, self._settled_markup, self._open_tags = [], "", ""
        elif markup == self._markup:
            return
        self._markup = markup
        live_markup = self._open_tags + markup[len(self._settled_markup) :]
        font = (self.font_name, self.font_size, tuple(self.color))
        label = render_markup(live_markup, *font, int(width), self.line_height)
        texture, lines = label.texture, label._cached_lines
        if texture is None:  # nothing visible yet
            self.stack(list(self._settled), width)
            return
        live_top = 0
        if len(lines) > SETTLE_AFTER_LINES:  # every line but the last is final now
            settled_lines = lines[:-1]
            shown = _shown_in(live_markup, settled_lines)
            if shown is not None:
                live_top = sum(int(line.h) for line in settled_lines)
                self._settled.append(_text_rows(texture, settled_lines, 0, live_top))
                # `live_markup` is the rest of `markup` behind the reopened tags.
                cut, tags = split_visible(live_markup, shown)
                end = len(self._settled_markup) + cut - len(self._open_tags)
                self._settled_markup, self._open_tags = markup[:end], tags
        live = _text_rows(texture, lines[len(lines) - 1 :] if live_top else lines, live_top, texture.height)
        self.stack([*self._settled, live], width)


def _text_rows(texture: Texture, lines: list[Any], top: int, bottom: int) -> tuple[Texture, int]:
    """Rows `top` to `bottom` (from the texture's top) of `texture`, cut to the text's columns."""
    left, right = text_span(lines, texture.width)
    return region(texture, left, top, right - left, bottom - top), left


def _shown_in(markup: str, lines: list[Any]) -> int | None:
    """How many characters of `markup` its first laid-out `lines` show, with the blanks
    the wrapping dropped after them; None when they cannot be matched to the text (never
    seen), or when nothing but blanks would be left for the live end."""
    shown = unmarked(markup)
    position = 0
    for line in lines:
        piece = "".join(word.text for word in line.words)
        while position < len(shown) and shown[position].isspace() and not shown.startswith(piece, position):
            position += 1
        if not shown.startswith(piece, position):
            return None
        position += len(piece)
    while position < len(shown) and shown[position].isspace():  # the break itself
        position += 1
    return position if position < len(shown) else None
