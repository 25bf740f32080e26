"""Rendered Markdown bodies kept per row, so a row shown again is not drawn again.

A RecycleView hands its views from row to row: scrolling back, and every
relayout that gives a row another view, would otherwise lay out and render that
row's labels again (a long answer's blocks cost tens of milliseconds on 2
cores). Here the block widgets, with their textures, belong to the row (its
cache key); the view that shows the row only adopts them. The most recently
shown rows are kept; the widgets of rows dropped from the cache are reused for
new ones.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.metrics import dp
from kivy.uix.widget import Widget

from llamadesk.ui import theme
from llamadesk.ui.viewmodels.markdown_blocks import Block, markdown_to_blocks

KEPT_ROWS = 40  # two screens of rows or so; each holds its labels' textures (~0.3 MB a row)
# A pool that ran dry is restocked with this many widgets of its kind, one per RESTOCK_EVERY_S:
# making a code block (applying its kv rules) costs ~1.8 ms, too much for the frame that
# freezes a streamed chunk and must render it too.
SPARE = 2
RESTOCK_EVERY_S = 0.05
# No row drawn for this long: the chat is idle, and its pools are refilled up to what the
# prefill made (a stream takes them down to SPARE; the next answer would otherwise make its
# widgets in the frames that freeze its chunks).
IDLE_S = 0.5
# Widgets made ahead of need are made a few a frame, within this much time: the 60 of a chat
# screen's prefill took one ~30 ms frame.
PREFILL_BUDGET_S = 0.004
# One block of each kind (bold in a table's header, inline and display formulas, code).
WARM_UP_SOURCE = "| **a** | b |\n|:-|-:|\n| c | d |\n\nan $x$ and\n\n$$\ny\n$$\n\n```python\nz = 1\n```\n"


class BodyRender:
    """The block widgets of one row's body, laid out for one width."""

    def __init__(self) -> None:
        self.shown: tuple[str, float, tuple[float, ...], str, bool] | None = (
            None  # source, width, padding, theme, tail
        )
        self.widgets: list[Widget] = []
        self.height = 0.0
        self.owner: Any = None  # the view the widgets are attached to, if any
        self.waiting = False  # it shows a formula's source while the formula renders


class BodyRenders:
    """An LRU of `BodyRender`s by row cache key, with shared pools of block widgets."""

    def __init__(
        self, factories: dict[str, Callable[[], Widget]], kept: int = KEPT_ROWS, warm_up: bool = False
    ) -> None:
        self._factories = factories  # block kind ("text", "code", "rule") -> new widget
        self._kept = kept
        self._renders: OrderedDict[str, BodyRender] = OrderedDict()
        self._pools: dict[str, list[Widget]] = {kind: [] for kind in factories}
        self._restock_event: Any = None
        self._warmed = not warm_up  # a warm-up needs the real block widgets
        self._warm_up_done = not warm_up
        self._wanted: dict[str, int] = {}  # widgets per kind kept ready while idle
        self._drawn_at = 0.0
        self.math: Any = None  # MathTextures (rich_blocks.py), when formulas are drawn
        self.text_color: list[float] = [1, 1, 1, 1]

    def any_waiting(self) -> bool:
        """A row shows a formula's source while the formula renders."""
        return any(render.waiting for render in self._renders.values())

    def redraw_waiting(self) -> bool:
        """Formulas became ready: the rows that showed a source are drawn again when next
        laid out. True if there were any."""
        waiting = [render for render in self._renders.values() if render.waiting]
        for render in waiting:
            render.shown = None
            render.waiting = False
        return bool(waiting)

    def get(self, key: str) -> BodyRender:
        render = self._renders.get(key)
        if render is None:
            render = self._renders[key] = BodyRender()
            while len(self._renders) > self._kept:
                _key, old = self._renders.popitem(last=False)
                if old.owner is None or old.owner.body_render is not old:
                    self._release(old)  # not on screen: its widgets can serve other rows
        else:
            self._renders.move_to_end(key)
        return render

    def prefill(self, counts: dict[str, int]) -> None:
        """Make block widgets ahead of need (applying their kv rules costs milliseconds each),
        so the first answer streamed does not pay for them mid-stream; a few each frame."""
        deadline = time.perf_counter() + PREFILL_BUDGET_S
        self._wanted.update(counts)
        for kind, count in counts.items():
            pool = self._pools[kind]
            while len(pool) < count:
                if time.perf_counter() > deadline:
                    Clock.schedule_once(lambda _dt: self.prefill(counts), 0)
                    return
                pool.append(self._new(kind))
        if not self._warmed:
            self._warmed = True
            Clock.schedule_once(lambda _dt: self.warm_up(), 0)

    @property
    def prefilled(self) -> bool:
        """The widgets asked of `prefill` are made, each kind was drawn once, and the formula
        renderer has started."""
        started = self.math is None or self.math.images.started.is_set()
        return self._warmed and self._warm_up_done and started

    def warm_up(self) -> None:
        """Draw one block of each kind once, with no formula rendered, then pool the widgets:
        the first table, formula or paragraph with math of a session otherwise opened its
        fonts (bold, monospace, the table's size) and ran its widgets' first layout in the
        frame that froze it (a 20-24 ms frame, 5 more than later ones).

        The formula renderer's process is started now too, off the Kivy thread and at a low
        priority: started by the first formula of a session, its start (a process, and
        matplotlib's import: ~0.4 s of CPU, 60 MB) competed for the two cores with the
        frames of the answer that brought it, 25-60 ms each for 0.6 s."""
        blocks = [
            b for b in markdown_to_blocks(WARM_UP_SOURCE) if block_kind(b, False, False) in self._factories
        ]
        render = BodyRender()
        math, self.math = self.math, None
        try:
            self.draw(render, blocks, dp(400), [0.0, 0.0, 0.0, 0.0], 0.0)
        finally:
            self.math = math
        self._release(render)
        self._warm_up_done = True
        if self.math is not None:
            self.math.images.warm()

    def _new(self, kind: str) -> Widget:
        widget = self._factories[kind]()
        widget.block_kind = kind
        return widget

    def _restock_soon(self) -> None:
        if self._restock_event is None:
            self._restock_event = Clock.schedule_once(self._restock, RESTOCK_EVERY_S)

    def _goal(self, kind: str, idle: bool) -> int:
        return max(SPARE, self._wanted.get(kind, 0)) if idle else SPARE

    def _restock(self, _dt: float) -> None:
        """One widget for the pool furthest below its goal, then again a little later: SPARE
        while rows are being drawn, the prefill's count once the chat is idle."""
        self._restock_event = None
        idle = time.perf_counter() - self._drawn_at > IDLE_S
        kind = max(self._pools, key=lambda k: self._goal(k, idle) - len(self._pools[k]))
        if len(self._pools[kind]) < self._goal(kind, idle):
            self._pools[kind].append(self._new(kind))
            self._restock_soon()
        elif not idle and any(len(p) < self._goal(k, True) for k, p in self._pools.items()):
            self._restock_event = Clock.schedule_once(self._restock, IDLE_S)

    def clear(self) -> None:
        for render in self._renders.values():
            render.shown = None  # re-rendered (new theme) when next shown
        self._renders.clear()

    def _release(self, render: BodyRender) -> None:
        for widget in render.widgets:
            self._pools[widget.block_kind].append(widget)
        render.widgets = []
        render.shown = None

    def _take(self, kind: str) -> Widget:
        pool = self._pools[kind]
        if len(pool) <= self._goal(kind, idle=True):
            self._restock_soon()
        widget = pool.pop() if pool else self._new(kind)
        if widget.parent is not None:
            widget.parent.remove_widget(widget)
        return widget

    def draw(
        self,
        render: BodyRender,
        blocks: list[Block],
        width: float,
        padding: list[float],
        spacing: float,
        streaming: bool = False,
        tail: bool = False,
    ) -> None:
        """Lay out `blocks` into the render's widgets, measuring its height.

        A widget that showed a block of the same kind at the same place is given the new
        block: an unchanged block is not rendered again, and the paragraph a streaming
        answer grows (a `LiveText` while `streaming`) renders only its live end. In the
        `tail` of a streaming answer (the chunk still being written) a table or formula
        shows its source: it is drawn as one once its chunk is complete."""
        self._drawn_at = time.perf_counter()
        kept: list[Widget | None] = list(render.widgets)
        render.widgets = []
        render.waiting = False
        inner = width - padding[0] - padding[2]
        height = padding[1] + padding[3]
        for index, block in enumerate(blocks):
            kind = block_kind(block, streaming, tail)
            if tail and self.math is not None:
                self._prefetch_formulas(block)
            widget = kept[index] if index < len(kept) else None
            if widget is not None and widget.block_kind == kind:
                kept[index] = None
            else:
                widget = self._take(kind)
            if not self._show(widget, block, inner):
                render.waiting = True
            render.widgets.append(widget)
            height += widget.height
        for widget in kept:
            if widget is not None:
                self._pools[widget.block_kind].append(widget)
        height += spacing * max(0, len(blocks) - 1)
        render.height = max(height, dp(theme.SM))

    def _prefetch_formulas(self, block: Block) -> None:
        """Formulas the tail has closed are rendered while the rest of their paragraph or
        block streams: when its chunk is complete the image is there (at a model's pace),
        not its source for a few frames and then a second drawing of the rows."""
        if block.kind == "math":
            self.math.prefetch(block.source, display=True)
        elif block.kind == "rich":
            for segment in block.segments:
                if segment.kind == "math":
                    self.math.prefetch(segment.text, display=False)

    def _show(self, widget: Any, block: Block, inner: float) -> bool:
        """Give a block widget its block (see `_show`); False while a formula renders."""
        kind = widget.block_kind
        if kind == "math":
            return bool(widget.show(block, inner, self.math))
        if kind == "rich":
            return bool(widget.show(block, inner, self.math, self.text_color))
        if kind == "table":
            assert block.table is not None
            widget.show(block.table, inner, self.text_color)
            return True
        _show(widget, block, inner)
        return True


RICH_KINDS = ("table", "math", "rich")


def block_kind(block: Block, streaming: bool, tail: bool) -> str:
    """The widget kind that shows a block."""
    if block.kind in ("code", "rule"):
        return block.kind
    if block.kind in RICH_KINDS and not tail:
        return block.kind
    return "live" if streaming else "text"


def _show(widget: Any, block: Block, inner: float) -> None:
    """Give a block widget its block, rendering only what changed; sets its height."""
    kind = widget.block_kind
    if kind == "code":
        widget.language, widget.source, widget.markup = block.language, block.source, block.markup
        code = widget.ids.code
        code.show(block.markup, inner - dp(theme.LG) * 2)  # new lines only (code_lines.py)
        widget.height = code.height + dp(theme.TOUCH) + dp(theme.SM)
    elif kind == "live":
        widget.show(block.markup, inner)  # sets its height
    elif kind == "text":
        if widget.text == block.markup and tuple(widget.text_size) == (inner, None) and widget.texture:
            return
        widget.text_size = (inner, None)  # before the text: one render, at the right width
        widget.text = block.markup
        _render_now(widget)
        widget.height = widget.texture_size[1]


def _render_now(label: Any) -> None:
    """Render a label's texture now, and drop the render its property changes scheduled for
    the next frame: it would draw the same texture again (2 to 7 ms for a streamed paragraph)."""
    label.texture_update()
    label._trigger_texture.cancel()
