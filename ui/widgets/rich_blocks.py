# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""Blocks of a message body beyond text and code: GFM tables, display math, and paragraphs
with inline math (viewmodels/markdown_blocks.py makes their blocks).

Formulas are rendered off the Kivy thread (viewmodels/math_images.py); until a formula is
ready its source shows, and `MathTextures` calls back so the rows that showed a source are
drawn again with the image. A formula that does not parse keeps showing its source.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kivy.clock import Clock
from kivy.core.text.markup import MarkupLabel
from kivy.graphics import Color, Line, Rectangle
from kivy.graphics.texture import Texture
from kivy.metrics import dp, sp
from kivy.properties import ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from llamadesk.ui import theme
from llamadesk.ui.viewmodels.markdown_blocks import Block, Table, math_source
from llamadesk.ui.viewmodels.markup import escape
from llamadesk.ui.viewmodels.math_images import Key, MathFailure, MathImages
from llamadesk.ui.widgets.clipped_list import scissor_instead_of_stencil

KEPT_TEXTURES = 300
READY_EVERY_S = 0.3
MAX_COLUMN = 320  # dp: a wider cell wraps; a table wider than the message scrolls sideways
CELL_PAD = 8  # dp


class MathTextures:
    """Formula textures by source, size and colour; `lookup` answers at once, asking the
    renderer when it must, and `on_ready` runs on the Kivy thread once new ones are ready."""

    def __init__(self, on_ready: Callable[[], None], images: MathImages | None = None) -> None:
        self.images = images or MathImages()
        self.color: tuple[int, int, int] = (230, 232, 238)
        self._textures: OrderedDict[Key, tuple[Texture, float]] = OrderedDict()
        # Formulas finishing together are drawn together: each redraw lays the visible rows out
        # again, and an answer streaming many formulas had one every few frames.
        self._ready = Clock.create_trigger(lambda _dt: on_ready(), READY_EVERY_S)

    def set_color(self, rgba: list[float]) -> None:
        self.color = (round(rgba[0] * 255), round(rgba[1] * 255), round(rgba[2] * 255))

    def key(self, tex: str, display: bool) -> Key:
        size = round(sp(theme.FONT_SIZE) * (1.3 if display else 1.1))
        return (tex, size, self.color)

    def prefetch(self, tex: str, display: bool) -> None:
        """Have a formula rendered ahead of its drawing: one a streamed answer has closed
        while its paragraph or block is still being written (shown as source until then)."""
        key = self.key(tex, display)
        if key not in self._textures and self.images.get(key) is None:
            # Ready calls back as a lookup's would: its chunk may have frozen meanwhile, and
            # the row then waits on this render (a key asked twice is rendered once).
            self.images.request(key, lambda _key: self._ready())

    def lookup(self, tex: str, display: bool) -> tuple[Texture, float] | MathFailure | None:
        """(texture, depth below the baseline), a failure, or None while it renders."""
        key = self.key(tex, display)
        cached = self._textures.get(key)
        if cached is not None:
            self._textures.move_to_end(key)
            return cached
        found = self.images.get(key)
        if found is None:
            self.images.request(key, lambda _key: self._ready())
            return None
        if isinstance(found, MathFailure):
            return found
        texture = Texture.create(size=(found.width, found.height), colorfmt="rgba")
        texture.blit_buffer(found.rgba, colorfmt="rgba", bufferfmt="ubyte")
        texture.flip_vertical()  # the bitmap's first row is its top
        self._textures[key] = (texture, found.depth)
        while len(self._textures) > KEPT_TEXTURES:
            self._textures.popitem(last=False)
        return texture, found.depth


class MathBlock(BoxLayout):
    """Display math, centred; its source (monospace) until it renders, or if it cannot."""

    texture = ObjectProperty(None, allownone=True)
    texture_size = ListProperty([0, 0])
    source = StringProperty("")
    fallback = StringProperty("")

    def show(self, block: Block, inner: float, math: MathTextures | None) -> bool:
        """True when the formula is drawn (not its source)."""
        self.source = block.source
        found = math.lookup(block.source, display=True) if math is not None else None
        label = self.ids.fallback
        if isinstance(found, tuple):
            texture, _depth = found
            self.texture, self.texture_size, self.fallback = texture, list(texture.size), ""
            self.height = texture.height + dp(theme.SM) * 2
            return True
        self.texture, self.texture_size = None, [0, 0]
        self.fallback = escape(math_source(block.source, display=True))
        label.text_size = (inner, None)
        label.texture_update()
        self.height = label.texture_size[1] + dp(theme.SM) * 2
        return isinstance(found, MathFailure)  # a failure is final too: nothing to wait for


class RichTextBlock(Widget):
    """A paragraph with inline math: its words and formulas drawn as textures in lines,
    wrapped between words, each line's pieces on one baseline. Words are textures of
    Kivy's core label, kept by markup (a widget per word cost ~0.3 ms each)."""

    def show(self, block: Block, inner: float, math: MathTextures | None, color: list[float]) -> bool:
        complete = True
        pieces: list[tuple[Texture, float]] = []  # (texture, depth below the baseline)
        font_size = sp(theme.FONT_SIZE)
        self.formulas_drawn = 0
        self.sources_shown: list[str] = []  # formulas shown as their source (rendering, or failed)
        for segment in block.segments:
            if segment.kind == "math":
                found = math.lookup(segment.text, display=False) if math is not None else None
                if isinstance(found, tuple):
                    pieces.append(found)
                    self.formulas_drawn += 1
                    continue
                self.sources_shown.append(segment.text)
                complete = complete and isinstance(found, MathFailure)
                markup = f"[font={theme.FONT_MONO}]{escape(math_source(segment.text))}[/font]"
            else:
                markup = segment.text
            texture = word_texture(markup, font_size, color)
            pieces.append((texture, texture.height * DESCENT))
        self.width = inner
        self.height, self._placed = _flow(pieces, inner)
        self._draw()
        return complete

    def on_pos(self, *_: Any) -> None:
        self._draw()

    def _draw(self) -> None:
        self.canvas.clear()
        placed: list[tuple[Texture, float, float]] = getattr(self, "_placed", [])
        with self.canvas:
            Color(1, 1, 1, 1)
            for texture, x, y in placed:
                Rectangle(texture=texture, pos=(int(self.x + x), int(self.y + y)), size=texture.size)


DESCENT = 0.22  # Roboto's descent, of its line height
_words: OrderedDict[tuple[str, float, tuple[float, ...]], Texture] = OrderedDict()
KEPT_WORDS = 4000


def word_texture(markup: str, font_size: float, color: list[float]) -> Texture:
    key = (markup, font_size, tuple(color))
    texture = _words.get(key)
    if texture is None:
        label = MarkupLabel(text=markup, font_size=font_size, color=color)
        label.refresh()
        texture = _words[key] = label.texture
        while len(_words) > KEPT_WORDS:
            _words.popitem(last=False)
    return texture


def _flow(
    pieces: list[tuple[Texture, float]], width: float
) -> tuple[float, list[tuple[Texture, float, float]]]:
    """Lines of pieces, top down: the height used, and each texture's place (from the block's
    bottom left)."""
    lines: list[list[tuple[Texture, float]]] = [[]]
    x = 0.0
    for texture, depth in pieces:
        if x + texture.width > width and lines[-1]:  # wraps before a piece that would overflow
            lines.append([])
            x = 0.0
        lines[-1].append((texture, depth))
        x += texture.width
    gap = dp(2)
    metrics = [
        (max((t.height - d for t, d in line), default=0.0), max((d for _t, d in line), default=0.0))
        for line in lines
    ]
    total = float(sum(a + d for a, d in metrics) + gap * max(0, len(lines) - 1))
    placed: list[tuple[Texture, float, float]] = []
    top = total
    for line, (ascent, descent) in zip(lines, metrics, strict=True):
        baseline = top - ascent
        x = 0.0
        for texture, depth in line:
            placed.append((texture, x, baseline - depth))
            x += texture.width
        top -= ascent + descent + gap
    return total, placed


@dataclass(frozen=True)
class TableCell:
    """A cell as drawn: its markup, alignment, place in the grid (from its top left) and size."""

    text: str
    align: str
    header: bool
    x: float
    y: float
    width: float
    height: float
    texture: Texture


class TableGrid(Widget):
    """The cells of a table, drawn as textures and lines in its canvas (no widget per cell)."""

    cells: list[TableCell]

    def on_pos(self, *_: Any) -> None:
        self.draw()

    def draw(self) -> None:
        self.canvas.clear()
        cells: list[TableCell] = getattr(self, "cells", [])
        top = self.y + self.height
        pad = dp(CELL_PAD)
        app_theme = _app_theme()
        with self.canvas:
            # Only the header is filled: a body cell's background is the window's clear colour,
            # and every pixel drawn costs on a software GL.
            Color(*app_theme.surface_alt)
            for cell in cells:
                if cell.header:
                    Rectangle(
                        pos=(self.x + cell.x, top - cell.y - cell.height), size=(cell.width, cell.height)
                    )
            Color(*app_theme.border)
            for cell in cells:
                Line(
                    rectangle=(self.x + cell.x, top - cell.y - cell.height, cell.width, cell.height), width=1
                )
            Color(1, 1, 1, 1)
            for cell in cells:
                tw, th = cell.texture.size
                inner = cell.width - 2 * pad
                shift = {"right": inner - tw, "center": (inner - tw) / 2}.get(cell.align, 0)
                x = self.x + cell.x + pad + max(0, shift)
                y = top - cell.y - pad - th
                Rectangle(texture=cell.texture, pos=(int(x), int(y)), size=(tw, th))


def _app_theme() -> Any:
    from kivy.app import App

    return App.get_running_app().theme


class TableBlock(ScrollView):
    """A GFM table: columns as wide as their text up to MAX_COLUMN (a longer cell wraps),
    aligned as the table says; a table wider than the message scrolls sideways. Clipped by a
    scissor, not ScrollView's stencil (a stencil clears and tests the whole window's
    stencil buffer: frame median 18 ms instead of 12 with tables in view, on llvmpipe)."""

    def on_kv_post(self, base_widget: Any) -> None:
        self._clip = scissor_instead_of_stencil(self)

    def show(self, table: Table, inner: float, color: list[float]) -> None:
        grid: TableGrid = self.ids.grid
        pad = dp(CELL_PAD)
        font_size = sp(theme.FONT_SIZE - 1)
        columns = len(table.header)
        rows = [table.header, *table.rows]
        widest = dp(MAX_COLUMN) - 2 * pad
        # Cells at their natural width come from the word cache: a table's repeated values and
        # a streamed table's header, drawn again as it grows, are rendered once.
        naturals = [[word_texture(text, font_size, color) for text in row] for row in rows]
        widths = [0.0] * columns
        for row in naturals:
            for c, natural in enumerate(row):
                widths[c] = max(widths[c], min(natural.width, widest) + 2 * pad)
        cells: list[TableCell] = []
        y = 0.0
        for r, row in enumerate(naturals):
            textures = []
            for c, natural in enumerate(row):
                if natural.width + 2 * pad > widths[c]:  # wraps within its column
                    natural = _wrapped_cell(rows[r][c], font_size, color, widths[c] - 2 * pad)
                textures.append(natural)
            height = max((t.height for t in textures), default=0) + 2 * pad
            x = 0.0
            for c, texture in enumerate(textures):
                align = table.aligns[c] if c < len(table.aligns) else "left"
                cells.append(TableCell(rows[r][c], align, r == 0, x, y, widths[c], height, texture))
                x += widths[c]
            y += height
        grid.cells = cells
        grid.size = (sum(widths), y)
        grid.draw()
        scrolls = grid.width > inner
        self.bar_width = dp(4) if scrolls else 0
        self.height = grid.height + (dp(8) if scrolls else 2)  # its bottom line clear of the clip


def _wrapped_cell(markup: str, font_size: float, color: list[float], width: float) -> Texture:
    """A cell too wide for its column, wrapped to `width`."""
    label = MarkupLabel(text=markup, font_size=font_size, color=color, text_size=(width, None))
    label.refresh()
    return label.texture
