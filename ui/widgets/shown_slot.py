# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""A box whose child is in the widget tree only while the box is shown.

Kivy draws every widget in the tree, whatever its size or opacity. The chat's
Options panel, closed, sat in a slot of no width at opacity 0 and was still
drawn in every frame of the chat: about 100 of the window's 440 draw calls,
~0.4 ms of each frame's CPU with a software GL (the Kivy thread sets up each
call, empty or not), and its scroll view's stencil cleared the whole window's
stencil buffer (3.5 ms of llvmpipe time; clipped_list.py). Hidden, the child is
held here, out of the tree; it is added back when the box is shown again.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget


class ShownSlot(BoxLayout):
    shown = BooleanProperty(True)

    def __init__(self, **kwargs: Any) -> None:
        self._held: list[Widget] = []  # children while hidden (strong references: ids are weak)
        super().__init__(**kwargs)
        self.fbind("shown", self._show_or_hold)

    @property
    def held(self) -> list[Widget]:
        """Its children, in the tree or held."""
        return [*reversed(self.children), *self._held]

    def add_widget(self, widget: Widget, *args: Any, **kwargs: Any) -> None:
        if self.shown:
            super().add_widget(widget, *args, **kwargs)
        else:
            self._held.append(widget.__self__)  # the widget, not a weak proxy to it

    def remove_widget(self, widget: Widget, *args: Any, **kwargs: Any) -> None:
        if widget in self._held:
            self._held.remove(widget)
        else:
            super().remove_widget(widget, *args, **kwargs)

    def _show_or_hold(self, *_: Any) -> None:
        if self.shown:
            held, self._held = self._held, []
            for widget in held:
                super().add_widget(widget)
        else:
            for widget in list(reversed(self.children)):
                super().remove_widget(widget)
                self._held.append(widget)
