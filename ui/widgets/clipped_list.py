"""A RecycleView clipped by a scissor instead of a stencil.

A StencilView (every ScrollView, so every RecycleView) draws its whole area
into the stencil buffer twice a frame and tests every pixel inside against
it: ~3 ms of each frame on llvmpipe for the chat's message list, ~2 ms for the
sidebar's chat list. A scissor rectangle costs nothing, but takes window
coordinates, so it follows the view's place on screen: its own position, and
that of every ancestor with coordinates of its own (a Screen, a drawer's
RelativeLayout), which move it without changing its `pos`.
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import (
    BindTexture,
    ScissorPop,
    ScissorPush,
    StencilPop,
    StencilPush,
    StencilUnUse,
    StencilUse,
)
from kivy.uix.recycleview import RecycleView
from kivy.uix.relativelayout import RelativeLayout


class ClippedRecycleView(RecycleView):
    def __init__(self, **kwargs: Any) -> None:
        self._watched: list[Any] = []  # ancestors whose moves move us on screen
        super().__init__(**kwargs)

    def on_kv_post(self, base_widget: Any) -> None:  # once StencilView's kv rule has run
        for group in (self.canvas.before, self.canvas.after):
            inside = False  # from StencilPush/StencilUnUse to StencilUse/StencilPop: the stencil's
            for instruction in list(group.children):  # own Rectangle
                inside = inside or isinstance(instruction, StencilPush | StencilUnUse)
                if inside and not isinstance(instruction, BindTexture):  # goes with its Rectangle
                    group.remove(instruction)
                inside = inside and not isinstance(instruction, StencilUse | StencilPop)
        self._scissor = ScissorPush()
        self.canvas.before.insert(0, self._scissor)
        self.canvas.after.insert(0, ScissorPop())  # the scroll bars are drawn after, unclipped
        self.bind(pos=self._clip, size=self._clip, parent=self._watch_ancestors)
        self._watch_ancestors()

    def _watch_ancestors(self, *_: Any) -> None:
        for widget in self._watched:
            widget.unbind(pos=self._clip, size=self._clip, parent=self._watch_ancestors)
        self._watched = []
        widget = self.parent
        while widget is not None and widget is not widget.parent:  # the Window is its own parent
            # Any ancestor may be re-parented (the sidebar moves into the drawer when narrow);
            # only those with their own coordinates move us without moving our `pos`.
            events = {"parent": self._watch_ancestors}
            if isinstance(widget, RelativeLayout):
                events.update(pos=self._clip, size=self._clip)
            widget.bind(**events)
            self._watched.append(widget)
            widget = widget.parent
        self._clip()

    def _clip(self, *_: Any) -> None:
        x, y = self.to_window(*self.pos)
        self._scissor.x, self._scissor.y = int(x), int(y)
        self._scissor.width, self._scissor.height = int(self.width), int(self.height)
