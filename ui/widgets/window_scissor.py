"""A scissor kept on a widget's rectangle in window coordinates, wherever the widget moves.

A ScissorPush takes window coordinates, not the widget's own: an ancestor with its own
coordinates (a RelativeLayout, a Screen, the scroll view of a drawer) moves the widget on
screen without changing its `pos`. The ancestors are watched, and watched again when any
of them is re-parented (the sidebar moves into the drawer when the window is narrow).
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import ScissorPush
from kivy.uix.relativelayout import RelativeLayout
from kivy.uix.widget import Widget


class WindowScissor:
    def __init__(self, widget: Widget, scissor: ScissorPush) -> None:
        self._widget = widget
        self._scissor = scissor
        self._watched: list[Any] = []  # ancestors whose moves move the widget on screen
        widget.bind(pos=self.place, size=self.place, parent=self._watch_ancestors)
        self._watch_ancestors()

    def _watch_ancestors(self, *_: Any) -> None:
        for widget in self._watched:
            widget.unbind(pos=self.place, size=self.place, parent=self._watch_ancestors)
        self._watched = []
        widget = self._widget.parent
        while widget is not None and widget is not widget.parent:  # the Window is its own parent
            # Any ancestor may be re-parented; only those with their own coordinates move the
            # widget without moving its `pos`.
            events = {"parent": self._watch_ancestors}
            if isinstance(widget, RelativeLayout):
                events.update(pos=self.place, size=self.place)
            widget.bind(**events)
            self._watched.append(widget)
            widget = widget.parent
        self.place()

    def place(self, *_: Any) -> None:
        widget, scissor = self._widget, self._scissor
        x, y = widget.to_window(*widget.pos)
        scissor.x, scissor.y = int(x), int(y)
        scissor.width, scissor.height = max(0, int(widget.width)), max(0, int(widget.height))
