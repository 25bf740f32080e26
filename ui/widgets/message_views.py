"""The rows of the message list (RecycleView view classes).

`MessageBody` turns Markdown source into block widgets only when it is shown,
asks the screen's block cache first (so a row scrolled back in is not parsed
again), and reports its real height back into the row data so the estimate
made for unseen rows is replaced by the truth once seen.
"""

from __future__ import annotations

import webbrowser
from typing import Any

from kivy.metrics import dp
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from llamadesk.ui import theme
from llamadesk.ui.viewmodels.markdown_blocks import Block


def copy_text(text: str) -> None:
    try:
        from kivy.core.clipboard import Clipboard  # imported late: its provider probe runs at import

        Clipboard.copy(text)
    except Exception:  # no clipboard provider (headless): copying is best effort
        pass


class TextBlock(Label):
    def on_ref_press(self, ref: str) -> None:
        if ref.startswith(("http://", "https://")):
            webbrowser.open(ref)


class CodeBlock(BoxLayout):
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
    controller = ObjectProperty(None, allownone=True)
    message_id = StringProperty("")
    role = StringProperty("")

    def refresh_view_attrs(self, rv: Any, index: int, data: dict[str, Any]) -> None:
        self.rv, self.index = rv, index
        super().refresh_view_attrs(rv, index, data)  # type: ignore[misc]

    def remember_height(self, height: float) -> None:
        """Store the measured height in the row data (in place: no refresh loop)."""
        if self.rv is not None and self.index is not None and self.index < len(self.rv.data):
            self.rv.data[self.index]["height"] = height


class MessageMeta(RowBase, BoxLayout):
    model_name = StringProperty("")
    branch_text = StringProperty("")
    can_prev = BooleanProperty(False)
    can_next = BooleanProperty(False)
    footer = StringProperty("")
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


class MessageBody(RowBase, BoxLayout):
    source = StringProperty("")
    cache_key = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[str, str, float, str] | None = None
        self._text_pool: list[TextBlock] = []
        self._code_pool: list[CodeBlock] = []
        self._rule_pool: list[RuleBlock] = []

    def refresh_view_layout(self, rv: Any, index: int, layout: dict[str, Any], viewport: Any) -> None:
        super().refresh_view_layout(rv, index, layout, viewport)
        self.render()

    def render(self) -> None:
        # A view handed out before the layout has sized it would wrap at Kivy's default width
        # (100 px): a tall texture rendered for nothing. Wait for a real width.
        if self.controller is None or self.width < dp(160):
            return
        theme_name = self.controller.theme_name
        key = (self.cache_key, self.source, self.width, theme_name)
        if key == self._shown:
            return
        self._shown = key
        blocks: list[Block] = self.controller.blocks_for(self.cache_key, self.source)
        self._build(blocks)

    def _take(self, pool: list[Any], used: dict[int, int], factory: Any) -> Any:
        n = used[id(pool)]
        used[id(pool)] = n + 1
        if n < len(pool):
            return pool[n]
        widget = factory()
        pool.append(widget)
        return widget

    def _build(self, blocks: list[Block]) -> None:
        self.clear_widgets()
        used = {id(self._text_pool): 0, id(self._code_pool): 0, id(self._rule_pool): 0}
        inner = self.width - self.padding[0] - self.padding[2]
        height = self.padding[1] + self.padding[3]
        for block in blocks:
            if block.kind == "code":
                widget = self._take(self._code_pool, used, CodeBlock)
                widget.language, widget.source, widget.markup = block.language, block.source, block.markup
                code = widget.ids.code
                code.text_size = (inner - dp(theme.LG) * 2, None)
                code.texture_update()
                widget.height = code.texture_size[1] + dp(theme.TOUCH) + dp(theme.SM)
            elif block.kind == "rule":
                widget = self._take(self._rule_pool, used, RuleBlock)
            else:
                widget = self._take(self._text_pool, used, TextBlock)
                widget.text_size = (inner, None)  # before the text: one render, at the right width
                widget.text = block.markup
                widget.texture_update()
                widget.height = widget.texture_size[1]
            self.add_widget(widget)
            height += widget.height
        height += self.spacing * max(0, len(blocks) - 1)
        height = max(height, dp(theme.SM))
        if abs(self.height - height) > 0.5:
            self.height = height
        self.remember_height(height)
