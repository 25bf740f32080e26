# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""The rows of the message list (RecycleView view classes).

`MessageBody` turns Markdown source into block widgets only when it is shown,
keeps them with the row (`body_renders`: a row scrolled back in, or moved to
another view, is neither parsed nor drawn again), and reports its real height
back into the row data so the estimate made for unseen rows is replaced by the
truth once seen.
"""

from __future__ import annotations

import webbrowser
from typing import Any

from kivy.clock import Clock
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from llamadesk.ui import theme
from llamadesk.ui.viewmodels.markdown_blocks import Block, find_symbol_font
from llamadesk.ui.widgets.body_renders import BodyRender, BodyRenders
from llamadesk.ui.widgets.code_lines import CodeLines  # noqa: F401  (used by message_views.kv)
from llamadesk.ui.widgets.live_text import LiveText
from llamadesk.ui.widgets.opaque_fill import OpaqueRoundedFill
from llamadesk.ui.widgets.rich_blocks import MathBlock, RichTextBlock, TableBlock
from llamadesk.ui.widgets.trimmed_label import TrimmedLabel

SYMBOL_FONT = find_symbol_font() or "Roboto"  # ▲ ▼ (Roboto has them too, but not ☐ ☑)
MIN_BODY_WIDTH = 160  # dp: a body is not drawn narrower (a view before the layout sized it)
LONG_PRESS_S = 0.5
MOVE_CANCELS_PRESS = 10  # dp a finger may drift during a long press before it is a scroll
BLOCK_GAP = theme.SM  # dp between two blocks of one body (a paragraph, a code block...)
ROW_GAP = theme.XS  # dp between two rows of the message list (its spacing in chat.kv)
NAME_ROW = 28  # dp: a message's header holds only its author's name (its buttons are under it)


def body_padding(joins_above: bool, joins_below: bool) -> list[float]:
    """A body row's padding. A streamed answer is shown as a row per frozen chunk; where two
    meet, their padding and the list's spacing add up to the gap between two blocks of one
    body, so the answer does not move when it is stored and shown as one row."""
    top = 0 if joins_above else dp(theme.XS)
    bottom = dp(BLOCK_GAP) - dp(ROW_GAP) if joins_below else dp(theme.SM)
    return [dp(theme.LG), top, dp(theme.LG), bottom]


def copy_text(text: str) -> None:
    try:
        from kivy.core.clipboard import Clipboard  # imported late: its provider probe runs at import

        Clipboard.copy(text)
    except Exception:  # no clipboard provider (headless): copying is best effort
        pass


def open_link(ref: str) -> None:
    """A link in an answer was clicked (`[ref=...]` holds its address)."""
    if ref.startswith(("http://", "https://")):
        webbrowser.open(ref)


class TextBlock(TrimmedLabel):
    def on_ref_press(self, ref: str) -> None:
        open_link(ref)


class LiveTextBlock(LiveText):
    """A text block of an answer still streaming (live_text.py)."""

    def on_ref_press(self, ref: str) -> None:
        open_link(ref)


class CodeBlock(OpaqueRoundedFill, BoxLayout):
    source = StringProperty("")
    language = StringProperty("")
    markup = StringProperty("")

    def copy(self) -> None:
        copy_text(self.source)


class RuleBlock(BoxLayout):
    pass


class RowBase(RecycleDataViewBehavior):
    index: int | None = None
    rv: Any = None
    height: float  # the widget's (Kivy's NumericProperty), set below as rows are measured
    controller = ObjectProperty(None, allownone=True)
    message_id = StringProperty("")
    role = StringProperty("")

    def refresh_view_attrs(self, rv: Any, index: int, data: dict[str, Any]) -> None:
        self.rv, self.index = rv, index
        super().refresh_view_attrs(rv, index, data)

    def remember_height(self, height: float) -> None:
        """Store the measured height in the row data (in place: no refresh loop)."""
        if self.rv is not None and self.index is not None and self.index < len(self.rv.data):
            self.rv.data[self.index]["height"] = height


class LongPress:
    """Held LONG_PRESS_S on a message, a finger opens the message's actions: touch screens
    have no hover and no right click. A finger that moves (a scroll) lets go of it."""

    controller: Any
    index: int | None
    _press: Any = None
    _press_at: tuple[float, float] = (0.0, 0.0)

    def on_touch_down(self, touch: Any) -> bool:
        if (
            self.collide_point(*touch.pos)  # type: ignore[attr-defined]
            and not touch.is_mouse_scrolling
            and self.controller is not None
            and self.index is not None
        ):
            index, self._press_at = self.index, touch.pos
            self._press = Clock.schedule_once(lambda _dt: self.controller.long_pressed(index), LONG_PRESS_S)
        return bool(super().on_touch_down(touch))  # type: ignore[misc]

    def on_touch_move(self, touch: Any) -> bool:
        moved = max(abs(touch.x - self._press_at[0]), abs(touch.y - self._press_at[1]))
        if self._press is not None and moved > dp(MOVE_CANCELS_PRESS):
            self._let_go()
        return bool(super().on_touch_move(touch))  # type: ignore[misc]

    def on_touch_up(self, touch: Any) -> bool:
        self._let_go()
        return bool(super().on_touch_up(touch))  # type: ignore[misc]

    def _let_go(self) -> None:
        if self._press is not None:
            self._press.cancel()
            self._press = None


class MessageHeader(LongPress, RowBase, BoxLayout):
    """A message's first row: who wrote it, and while an answer streams, that it is writing."""

    model_name = StringProperty("")
    streaming = BooleanProperty(False)


class MessageActionBar(LongPress, RowBase, BoxLayout):
    """A message's last row, under it: branch arrows, details (live counters while it
    streams), rating, Share, Copy, and Edit or Regenerate."""

    branch_text = StringProperty("")
    can_prev = BooleanProperty(False)
    can_next = BooleanProperty(False)
    footer = StringProperty("")
    details = StringProperty("")  # its time, tokens and speed
    show_details = BooleanProperty(False)
    rating = StringProperty("")
    streaming = BooleanProperty(False)


class ErrorRow(RowBase, BoxLayout):
    text = StringProperty("")


class ThinkingRow(RowBase, BoxLayout):
    source = StringProperty("")
    expanded = BooleanProperty(False)

    def toggle(self) -> None:
        if self.controller is not None and self.index is not None:
            self.controller.toggle_thinking(self.index)

    def refresh_view_layout(self, rv: Any, index: int, layout: dict[str, Any], viewport: Any) -> None:
        super().refresh_view_layout(rv, index, layout, viewport)
        label = self.ids.reasoning
        label.texture_update()
        height = dp(theme.TOUCH) + (label.texture_size[1] + dp(theme.SM) if self.expanded else 0)
        if abs(self.height - height) > 0.5:
            self.height = height
            self.remember_height(height)


class ToolCallRow(RowBase, BoxLayout):
    """A tool call (viewmodels/tool_calls.py): one line folded; open, its arguments and result
    (a long result folded again), or, while it waits, the approval buttons."""

    call_id = StringProperty("")
    name = StringProperty("")
    provider = StringProperty("")
    arguments = StringProperty("")
    arguments_line = StringProperty("")
    state = StringProperty("")
    state_text = StringProperty("")
    tone = StringProperty("muted")
    result = StringProperty("")
    result_folded = StringProperty("")
    folded = BooleanProperty(False)
    truncated = BooleanProperty(False)
    request_id = StringProperty("")
    description = StringProperty("")
    expanded = BooleanProperty(False)
    show_all = BooleanProperty(False)
    deciding = BooleanProperty(False)

    def toggle(self, key: str = "expanded") -> None:
        if self.controller is not None and self.index is not None:
            self.controller.toggle_row(self.index, key)

    def decide(self, decision: str) -> None:
        if self.controller is not None and self.index is not None and self.request_id:
            self.controller.approve_tool(self.index, self.request_id, decision)

    def refresh_view_layout(self, rv: Any, index: int, layout: dict[str, Any], viewport: Any) -> None:
        super().refresh_view_layout(rv, index, layout, viewport)
        self.measure()

    def measure(self) -> None:
        """Its height from its parts (labels rendered now), kept in the row data."""
        height = self.padding[1] + self.padding[3]
        for child in self.children:
            if isinstance(child, TrimmedLabel) and child.text:
                child.texture_update()
                child.height = child.texture_size[1]
            height += child.height
        if abs(self.height - height) > 0.5:
            self.height = height
        self.remember_height(height)


class MessageBody(LongPress, RowBase, OpaqueRoundedFill, BoxLayout):
    source = StringProperty("")
    cache_key = StringProperty("")
    streaming = BooleanProperty(False)
    tail = BooleanProperty(False)  # the chunk of a streaming answer still being written
    joins_above = BooleanProperty(False)  # the row continues the body of the row above
    joins_below = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.body_render: BodyRender | None = None  # the row's widgets this view shows

    def refresh_view_layout(self, rv: Any, index: int, layout: dict[str, Any], viewport: Any) -> None:
        super().refresh_view_layout(rv, index, layout, viewport)
        self.render()

    def render(self) -> None:
        # A view handed out before the layout has sized it would wrap at Kivy's default width
        # (100 px): a tall texture rendered for nothing. Wait for a real width.
        if self.controller is None or self.width < dp(MIN_BODY_WIDTH):
            return
        args = (
            self.cache_key,
            self.source,
            self.width,
            self.padding,
            self.spacing,
            self.streaming,
            self.tail,
        )
        self._adopt(draw_body(self.controller, *args))

    def _adopt(self, render: BodyRender) -> None:
        """Show the row's widgets here, taking them from the view that showed them before."""
        previous = render.owner
        if previous is not None and previous is not self and previous.body_render is render:
            previous.clear_widgets()
            previous.body_render = None
        if self.body_render is not render or list(reversed(self.children)) != render.widgets:
            self.clear_widgets()
            for widget in render.widgets:
                self.add_widget(widget)
        render.owner = self
        self.body_render = render
        if abs(self.height - render.height) > 0.5:
            self.height = render.height
        self.remember_height(render.height)


def draw_body(
    controller: Any,
    key: str,
    source: str,
    width: float,
    padding: Any,
    spacing: float,
    streaming: bool,
    tail: bool = False,
) -> BodyRender:
    """The row's rendered body at `width`, drawn now unless it already shows `source` so."""
    shown = (source, width, tuple(padding), controller.theme_name, tail)
    render: BodyRender = controller.body_renders.get(key)
    if render.shown != shown:
        blocks: list[Block] = controller.blocks_for(key, source)
        controller.body_renders.draw(render, blocks, width, padding, spacing, streaming=streaming, tail=tail)
        render.shown = shown
    return render


def body_renders() -> BodyRenders:
    """The per-row render cache a chat screen keeps for its MessageBody rows."""
    return BodyRenders(
        {
            "text": TextBlock,
            "live": LiveTextBlock,
            "code": CodeBlock,
            "rule": RuleBlock,
            "table": TableBlock,
            "math": MathBlock,
            "rich": RichTextBlock,
        },
        warm_up=True,
    )
