# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""The window's frame: sidebar (or drawer when narrow), top bar, screens, status bar."""

from __future__ import annotations

from typing import Any

from kivy.animation import Animation
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.uix.screenmanager import ScreenManager

from llamadesk.ui import theme
from llamadesk.ui.widgets.clipped_list import ClippedRecycleView
from llamadesk.ui.widgets.common import FlatButton
from llamadesk.ui.widgets.solid_fill import SolidFill

from ..catalogs import N_


class SessionRow(RecycleDataViewBehavior, FlatButton):
    session_id = StringProperty("")
    pinned = BooleanProperty(False)
    controller = ObjectProperty(None, allownone=True)


class SessionList(ClippedRecycleView):
    """The sidebar's list of chats."""


class Sidebar(SolidFill, BoxLayout):
    """Navigation between screens and, on the chat screen, the list of chats."""

    current = StringProperty("chat")
    sessions = ListProperty()
    controller = ObjectProperty(None, allownone=True)  # the chat screen


class Screens(ScreenManager):
    """A ScreenManager that does not clip: screens switch without a transition, so nothing
    is ever drawn outside it, and the stencil (two full-area passes, and a stencil test
    on every pixel inside) cost ~2 ms a frame on software GL."""

    def on_kv_post(self, base_widget: Any) -> None:  # once StencilView's kv rule has run
        self.canvas.before.clear()  # its StencilPush, Rectangle, StencilUse
        self.canvas.after.clear()  # and StencilUnUse, Rectangle, StencilPop


class Shell(FloatLayout):
    """Holds everything; moves the sidebar into a drawer below `theme.NARROW_BELOW` dp."""

    narrow = BooleanProperty(False)
    drawer_open = BooleanProperty(False)
    title = StringProperty(N_("Chat"))

    def on_size(self, *_: Any) -> None:
        narrow = self.width < dp(theme.NARROW_BELOW)
        if narrow != self.narrow:
            self.narrow = narrow

    def on_narrow(self, _instance: Any, narrow: bool) -> None:
        sidebar = self.ids.sidebar
        if sidebar.parent is not None:
            sidebar.parent.remove_widget(sidebar)
        if narrow:
            self.ids.drawer_panel.add_widget(sidebar)
        else:
            self.drawer_open = False
            self.ids.sidebar_slot.add_widget(sidebar)

    def open_drawer(self) -> None:
        if self.narrow:
            self.drawer_open = True

    def close_drawer(self) -> None:
        self.drawer_open = False

    def on_drawer_open(self, _instance: Any, is_open: bool) -> None:
        panel = self.ids.drawer_panel
        Animation.cancel_all(panel, "x")
        Animation(x=0 if is_open else -panel.width, d=0.18, t="out_quad").start(panel)
