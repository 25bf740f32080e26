# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""The Kivy application: a thin App around the command table.

It builds the shell, loads every kv file by path (which also survives
PyInstaller), owns the theme and the command bridge, and routes keyboard
shortcuts. Screens do their own work through `app.bridge`.
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import ObjectProperty

from llamadesk.core.commands import CommandError, CommandTable
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.llama import RuntimeStatus, StatusParams
from llamadesk.core.models.settings import ConfigGetParams, ConfigValue
from llamadesk.core.models.system import SystemMetrics

from .bridge import CommandBridge
from .catalogs import N_, SOURCE_LANGUAGE
from .first_frame import watch_first_frame
from .i18n import switch_language
from .idle_gc import IdleCollector
from .offscreen import finish_frames_when_offscreen
from .screens.base import AppScreen
from .screens.chat import ChatScreen
from .screens.collections import CollectionsScreen
from .screens.discover import DiscoverScreen
from .screens.models import ModelsScreen
from .screens.settings import SettingsScreen
from .screens.tools import ToolsScreen
from .text_textures import install as install_fresh_text_textures
from .theme import Theme
from .viewmodels.markdown_blocks import MarkupStyle
from .viewmodels.metrics_history import MetricsHistory
from .viewmodels.status import status_texts
from .widgets import (  # noqa: F401  (registers kv classes)
    clipped_list,
    common,
    dialogs,
    document_views,
    message_list,
    message_views,
    shown_slot,
    status_bar,
    trimmed_label,
)
from .widgets.metrics_graph import MetricsPopover
from .widgets.shell import Shell
from .window_clear import clear_colour_only_on_software_gl

HERE = Path(__file__).parent
KV_FILES = (
    "widgets/trimmed_label.kv",  # first: its rule replaces Label's drawing for the rules after it
    "widgets/common.kv",
    "widgets/rich_blocks.kv",
    "widgets/message_views.kv",
    "widgets/status_bar.kv",
    "widgets/dialogs.kv",
    "widgets/metrics_graph.kv",
    "widgets/document_views.kv",
    "widgets/shell.kv",
    "screens/chat.kv",
    "screens/chat_panel.kv",
    "screens/models.kv",
    "screens/discover.kv",
    "screens/settings.kv",
    "screens/tools.kv",
    "screens/collections.kv",
)


def warm_up_rendering() -> None:
    from .viewmodels.markdown_blocks import markdown_to_blocks

    for style in ("monokai", "friendly"):
        markdown_to_blocks("**a** `b`\n\n- c\n\n```python\nx = 1\n```\n", MarkupStyle(code_style=style))


SCREEN_TITLES = {
    "chat": N_("Chat"),
    "models": N_("Models"),
    "discover": N_("Discover"),
    "tools": N_("Tools"),
    "collections": N_("Collections"),
    "settings": N_("Settings"),
}
STATUS_EVERY_S = 2.0


class LlamadeskApp(App):
    theme = ObjectProperty()
    title = "llamadesk"

    def __init__(self, commands: CommandTable, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = commands
        install_fresh_text_textures()
        self.bridge = CommandBridge(commands)
        self.theme = Theme(self._configured("theme", "dark"))
        # Before anything is built: the font of a language (Chinese) is chosen here too.
        self.language = switch_language(self._configured("language", SOURCE_LANGUAGE))
        self._shell: Shell | None = None
        self._chat: ChatScreen | None = None
        self.screens: dict[str, AppScreen] = {}
        self.collector = IdleCollector(lambda: self._chat is not None and self._chat.streaming)
        self.metrics = MetricsHistory()  # system.metrics of the last minutes, for the monitor
        self._monitor: MetricsPopover | None = None

    def _configured(self, key: str, default: str) -> str:
        try:
            return str(self.bridge.invoke("config.get", ConfigGetParams(key=key), ConfigValue).value)
        except CommandError:
            return default

    @property
    def shell(self) -> Shell | None:
        """The window's frame, once `build()` made it."""
        return self._shell

    @property
    def chat(self) -> ChatScreen:
        assert self._chat is not None, "the app is not built yet"
        return self._chat

    def build(self) -> Shell:
        for name in KV_FILES:
            Builder.load_file(str(HERE / name))
        shell = Shell()
        self._shell = shell
        manager = shell.ids.screens
        self._chat = ChatScreen(name="chat")
        screens: list[AppScreen] = [
            self._chat,
            ModelsScreen(name="models"),
            DiscoverScreen(name="discover"),
            ToolsScreen(name="tools"),
            CollectionsScreen(name="collections"),
            SettingsScreen(name="settings"),
        ]
        for screen in screens:
            self.screens[screen.name] = screen
            manager.add_widget(screen)
        shell.ids.sidebar.controller = self._chat
        # The window's clear colour is the background: a full-window rectangle on top of it
        # would cost a whole extra layer of pixels every frame.
        Window.clearcolor = self.theme.bg
        self.theme.bind(bg=lambda _theme, color: setattr(Window, "clearcolor", color))
        Window.bind(on_key_down=self._on_key_down)
        finish_frames_when_offscreen(Window)
        clear_colour_only_on_software_gl(Window)
        Window.bind(on_motion=self.collector.activity, on_key_down=self.collector.activity)
        Clock.schedule_once(lambda _dt: self.refresh_status(), 0)
        Clock.schedule_interval(lambda _dt: self.refresh_status(), STATUS_EVERY_S)
        return shell

    def on_start(self) -> None:
        watch_first_frame(self)
        for screen in self.screens.values():
            screen.on_app_start()
        # The first message with code would otherwise pay for markdown-it's and pygments'
        # imports and lexer set-up on the Kivy thread; do that now, off it.
        threading.Thread(target=warm_up_rendering, name="llamadesk-warm-up", daemon=True).start()
        # Everything built so far lives as long as the window: keep the cyclic GC from
        # walking it again and again (long pauses mid-stream otherwise).
        gc.freeze()
        self.collector.start()

    def show_screen(self, name: str) -> None:
        assert self._shell is not None
        self._shell.ids.screens.current = name
        self._shell.ids.sidebar.current = name
        self._shell.title = SCREEN_TITLES[name]
        self._shell.close_drawer()
        self.screens[name].on_shown()

    def set_theme(self, name: str) -> None:
        self.theme.apply(name)
        self.chat.rerender()

    def set_language(self, language: str) -> None:
        """The window in `language` now: kv text re-evaluates itself, screens make theirs again."""
        self.language = switch_language(language)
        for screen in self.screens.values():
            screen.on_language_switch()
        self.refresh_status()

    def new_chat(self) -> None:
        self.show_screen("chat")
        self.chat.new_chat()

    def focus_search(self) -> None:
        assert self._shell is not None
        if self._shell.ids.screens.current != "chat":
            self.show_screen("chat")
        if self._shell.narrow:
            self._shell.open_drawer()
        self._shell.ids.sidebar.ids.search.focus = True

    def library_changed(self) -> None:
        """A model was pulled, imported or removed: every list of models asks again."""
        for screen in self.screens.values():
            screen.on_library_changed()

    def notify(self, text: str) -> None:
        """A short message in the status bar (errors of background work, notices)."""
        if self._shell is not None:
            self._shell.ids.status.message = text

    def _on_key_down(
        self, _window: Any, key: int, _scancode: int, _codepoint: str, modifiers: list[str]
    ) -> bool:
        ctrl = "ctrl" in modifiers or "meta" in modifiers
        if ctrl and key == ord("n"):
            self.new_chat()
            return True
        if ctrl and key == ord("k"):
            self.focus_search()
            return True
        if key == 27:  # Esc: stop a stream, else close the drawer; never quit the app
            if self.chat.stop():
                return True
            if self._shell is not None and self._shell.drawer_open:
                self._shell.close_drawer()
            return True
        return False

    def refresh_status(self) -> None:
        if self.bridge.has("runtime.status"):
            self.bridge.call(
                "runtime.status", StatusParams(), RuntimeStatus, self._show_status, lambda _e: None
            )
        if self.bridge.has("system.metrics"):
            self.bridge.call("system.metrics", Empty(), SystemMetrics, self._add_metrics, lambda _e: None)

    def _add_metrics(self, sample: SystemMetrics) -> None:
        self.metrics.add(sample)
        if self._monitor is not None:
            self._monitor.ids.panel.update()
        for screen in self.screens.values():
            screen.on_metrics(self.metrics)

    def open_monitor(self) -> MetricsPopover:
        """The status bar's resource monitor: a graph of the last minutes and the figures."""
        monitor = MetricsPopover(history=self.metrics)
        monitor.bind(on_dismiss=lambda _m: setattr(self, "_monitor", None))
        self._monitor = monitor
        monitor.open()
        monitor.ids.panel.update()
        return monitor

    def _show_status(self, status: RuntimeStatus) -> None:
        if self._shell is None:
            return
        models_text, memory_text = status_texts(status)
        bar = self._shell.ids.status
        bar.models_text, bar.memory_text = models_text, memory_text
        for screen in self.screens.values():
            screen.on_runtime_status(status)

    def on_stop(self) -> None:
        if self._chat is not None:
            self._chat.stop()
            self._chat.body_renders.math.images.close()  # the formula renderer's process
