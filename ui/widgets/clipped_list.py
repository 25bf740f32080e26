# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""Scroll views clipped by a scissor instead of a stencil.

A StencilView (every ScrollView, so every RecycleView) draws its whole area
into the stencil buffer twice a frame and tests every pixel inside against
it: ~3 ms of each frame on llvmpipe for the chat's message list, ~2 ms for the
sidebar's chat list. Its first StencilPush of a frame also clears the whole
window's stencil buffer, whatever its own size: the chat's Options panel,
closed (no width, opacity 0) but still drawn, cost 3.5 ms of llvmpipe time in
every frame of the chat screen for that alone. A scissor rectangle costs
nothing, but takes window coordinates, so it follows the view's place on
screen (window_scissor.py).
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
from kivy.uix.scrollview import ScrollView

from .window_scissor import WindowScissor


def scissor_instead_of_stencil(view: Any) -> WindowScissor:
    """Replace a StencilView's stencil with a scissor on its window rectangle; call it once its
    kv rules have run (`on_kv_post`). Scissors nest (each is cut to the one around it)."""
    for group in (view.canvas.before, view.canvas.after):
        inside = False  # from StencilPush/StencilUnUse to StencilUse/StencilPop: the stencil's
        for instruction in list(group.children):  # own Rectangle
            inside = inside or isinstance(instruction, StencilPush | StencilUnUse)
            if inside and not isinstance(instruction, BindTexture):  # goes with its Rectangle
                group.remove(instruction)
            inside = inside and not isinstance(instruction, StencilUse | StencilPop)
    scissor = ScissorPush()
    view.canvas.before.insert(0, scissor)
    view.canvas.after.insert(0, ScissorPop())  # the scroll bars are drawn after, unclipped
    return WindowScissor(view, scissor)


class ClippedRecycleView(RecycleView):
    def on_kv_post(self, base_widget: Any) -> None:  # once StencilView's kv rule has run
        self._clip = scissor_instead_of_stencil(self)


class ClippedScrollView(ScrollView):
    """A ScrollView clipped by a scissor: for those drawn on a screen that streams (the chat's)."""

    def on_kv_post(self, base_widget: Any) -> None:
        self._clip = scissor_instead_of_stencil(self)
