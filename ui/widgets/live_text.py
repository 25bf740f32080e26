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
drawn by ordinary labels again (wrapped anew on resize). Links are clickable
while it streams too: each render's link boxes are kept with the lines they
fall on, and a touch on one dispatches `on_ref_press` as a Label does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.graphics.texture import Texture
from kivy.properties import ColorProperty, NumericProperty, StringProperty

from llamadesk.ui.viewmodels.markup import split_visible, unmarked

from .texture_stack import TextureStack, region, render_markup
from .trimmed_label import text_span

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in px from the widget's top left

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
    __events__ = ("on_ref_press",)

    def __init__(self, **kwargs: Any) -> None:
        self._style: tuple[Any, ...] = ()
        self._settled: list[tuple[Texture, int]] = []  # pieces of lines that no longer change
        self._settled_markup = ""  # the markup they show, up to where the live end starts
        self._settled_refs: list[tuple[str, Box]] = []  # the links on the settled lines
        self._refs: list[tuple[str, Box]] = []  # and on the whole text shown
        self._open_tags = ""  # the tags still open at that point
        self._markup = ""
        super().__init__(**kwargs)

    def on_ref_press(self, ref: str) -> None:
        """A link was touched (a Label's event, with the `[ref=...]` name)."""

    def on_touch_down(self, touch: Any) -> bool:
        if self.collide_point(*touch.pos):
            x, y = touch.x - self.x, self.top - touch.y
            for ref, (x1, y1, x2, y2) in self._refs:
                if x1 <= x <= x2 and y1 <= y <= y2:
                    self.dispatch("on_ref_press", ref)
                    return True
        return bool(super().on_touch_down(touch))

    @property
    def markup(self) -> str:
        return self._markup

    def show(self, markup: str, width: float) -> None:
        """Draw `markup` wrapped at `width`, rendering only what may still change."""
        style = (int(width), self.font_name, self.font_size, tuple(self.color), self.line_height)
        if style != self._style or not markup.startswith(self._settled_markup):
            self._style = style
            self._settled, self._settled_markup, self._open_tags = [], "", ""
            self._settled_refs = []
        elif markup == self._markup:
            return
        self._markup = markup
        live_markup = self._open_tags + markup[len(self._settled_markup) :]
        if not unmarked(live_markup).strip():  # nothing visible to render yet
            self.stack(list(self._settled), width)
            self._refs = list(self._settled_refs)
            return
        font = (self.font_name, self.font_size, tuple(self.color))
        # Kivy draws a texture's first line a pixel lower, relative to its line box, than the
        # lines below it (it truncates a negative offset toward zero). A render that goes on
        # from settled lines starts with a blank line, so its text sits as in one label.
        lead = "\n" if self._settled else ""
        label = render_markup(lead + live_markup, *font, int(width), self.line_height)
        texture, lines = label.texture, label._cached_lines
        base = int(lines[0].h) if lead else 0  # the rows of the blank line
        lines = lines[1:] if lead else lines
        above = sum(piece.height for piece, _left in self._settled) - base  # where this render starts
        texture.bind()  # renders now (it would at the next draw): the link boxes are known then
        boxes = [(ref, box) for ref, zones in label.refs.items() for box in zones]
        live_top = base
        if len(lines) > SETTLE_AFTER_LINES:  # every line but the last is final now
            settled_lines = lines[:-1]
            shown = _shown_in(live_markup, settled_lines)
            if shown is not None:
                live_top = base + sum(int(line.h) for line in settled_lines)
                self._settled.append(_text_rows(texture, settled_lines, base, live_top))
                self._settled_refs += _moved(boxes, above, lambda box: box[1] < live_top)
                # `live_markup` is the rest of `markup` behind the reopened tags.
                cut, tags = split_visible(live_markup, shown)
                end = len(self._settled_markup) + cut - len(self._open_tags)
                self._settled_markup, self._open_tags = markup[:end], tags
        live_lines = lines[len(lines) - 1 :] if live_top > base else lines
        live = _text_rows(texture, live_lines, live_top, texture.height)
        self.stack([*self._settled, live], width)
        self._refs = self._settled_refs + _moved(boxes, above, lambda box: box[1] >= live_top)


def _moved(boxes: list[tuple[str, Box]], down: float, keep: Callable[[Box], bool]) -> list[tuple[str, Box]]:
    """The `keep` boxes of a render, moved `down` px: from the render's top to the widget's."""
    return [
        (ref, (x1, y1 + down, x2, y2 + down)) for ref, (x1, y1, x2, y2) in boxes if keep((x1, y1, x2, y2))
    ]


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
