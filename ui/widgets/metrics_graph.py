# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""The resource monitor: a small graph of the last minutes (viewmodels/metrics_history.py),
with a legend and the figures under it. Shown by the status bar's popover and the Models
screen; the app samples `system.metrics` every few seconds."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.graphics import Color, Line, Rectangle
from kivy.metrics import dp
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.widget import Widget

from llamadesk.ui.viewmodels.markdown_blocks import find_symbol_font
from llamadesk.ui.viewmodels.metrics_history import KEPT_SECONDS, MetricsHistory, detail_lines

from ..catalogs import N_

SYMBOL_FONT = find_symbol_font()


class MetricsGraph(Widget):
    history = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self.redraw, size=self.redraw)

    def redraw(self, *_: Any) -> None:
        self.canvas.clear()
        history: MetricsHistory | None = self.history
        theme = App.get_running_app().theme
        with self.canvas:
            Color(*theme.surface_alt)
            Rectangle(pos=self.pos, size=self.size)
            if history is None:
                return
            for series in history.series():
                Color(*getattr(theme, series.color))
                points: list[float] = []
                for age, value in reversed(series.points):
                    points += [
                        self.right - self.width * age / KEPT_SECONDS,
                        self.y + dp(2) + (self.height - dp(4)) * value,
                    ]
                if len(points) >= 4:
                    Line(points=points, width=dp(1.2))


class MetricsPanel(BoxLayout):
    """The graph, a legend with the latest values, and the figures."""

    legend = StringProperty("")
    details = StringProperty(N_("Measuring…"))
    history = ObjectProperty(None, allownone=True)

    def update(self) -> None:
        history: MetricsHistory | None = self.history
        if history is None or history.latest is None:
            return
        theme = App.get_running_app().theme
        box = f"[font={SYMBOL_FONT}]■[/font]" if SYMBOL_FONT else "■"  # Roboto has no ■
        self.legend = "   ".join(
            f"[color={theme.hex(s.color)}]{box}[/color] {s.label} {s.now}" for s in history.series()
        )
        self.details = "\n".join(detail_lines(history.latest))
        self.ids.graph.redraw()


class MetricsPopover(ModalView):
    """The status bar's resource monitor."""

    history = ObjectProperty(None, allownone=True)
