# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""The chat screen's rendering: Markdown parsed into blocks (kept by row, least recently
used dropped), the colors and fonts they are drawn with, formulas warmed up, and the
metrics that estimate a row's height before it is drawn.

A mixin of `ChatScreen`, which owns the caches these fill (`_blocks`, `_metrics`).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from kivy.core.text import Label as CoreLabel
from kivy.metrics import dp, sp

from .. import theme
from ..fonts import script_font
from ..viewmodels.chat_rows import RowMetrics
from ..viewmodels.documents import HEADER_HEIGHT as SOURCES_HEADER
from ..viewmodels.documents import LINE_HEIGHT as CHIP_LINE
from ..viewmodels.markdown_blocks import Block, MarkupStyle, markdown_to_blocks
from ..widgets.body_renders import BodyRenders
from ..widgets.message_views import NAME_ROW
from .chat_stream import LIVE

if TYPE_CHECKING:
    from .base import AppScreen as _Screen
else:
    _Screen = object

BLOCK_CACHE_SIZE = 4000


class ChatRendering(_Screen):
    theme_name: str
    body_renders: BodyRenders
    _blocks: OrderedDict[tuple[str, str, str], list[Block]]
    _math_warm: bool
    _metrics: RowMetrics | None

    def markup_style(self) -> MarkupStyle:
        t = self.app.theme
        return MarkupStyle(
            code_color=t.hex("warning"),
            link_color=t.hex("link"),
            muted_color=t.hex("text_muted"),
            mono_font=theme.FONT_MONO,
            code_style=theme.CODE_STYLES.get(t.name, "monokai"),
            script_font=script_font(),
        )

    def blocks_for(self, cache_key: str, source: str) -> list[Block]:
        """Parsed blocks of a body row, kept by row; a streaming answer's rows are drawn once
        per change of their source (body_renders.py) and are parsed then, without keeping."""
        if cache_key.startswith(f"{LIVE}-"):
            return self._warm_math(markdown_to_blocks(source, self.markup_style()))
        key = (cache_key, source, self.theme_name)
        blocks = self._blocks.get(key)
        if blocks is None:
            blocks = self._warm_math(markdown_to_blocks(source, self.markup_style()))
            self._blocks[key] = blocks
            if len(self._blocks) > BLOCK_CACHE_SIZE:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(key)
        return blocks

    def _warm_math(self, blocks: list[Block]) -> list[Block]:
        """The first formula seen starts the formula renderer: a streamed one is then ready
        by the time its chunk is complete."""
        if not self._math_warm and any(b.kind in ("math", "rich") for b in blocks):
            self._math_warm = True
            self.body_renders.math.images.warm()
        return blocks

    def metrics(self) -> RowMetrics:
        width = self.ids.messages.width if self.ids.messages.width > 100 else 700
        if self._metrics is None or abs(self._metrics.width - width) > 1:
            probe = CoreLabel(text="abcdefghij klmnopqrst", font_size=sp(theme.FONT_SIZE))
            probe.refresh()
            self._metrics = RowMetrics(
                width=width,
                char_width=probe.texture.size[0] / 21,
                line_height=probe.texture.size[1] * 1.15,
                code_line_height=sp(13) * 1.3,
                padding=dp(theme.LG),
                meta_height=dp(theme.TOUCH),
                name_height=dp(NAME_ROW),
                chip_height=dp(CHIP_LINE),
                sources_header=dp(SOURCES_HEADER),
            )
        return self._metrics
