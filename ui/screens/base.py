# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""What every screen can be told by the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from kivy.app import App
from kivy.uix.screenmanager import Screen

from llamadesk.core.models.llama import RuntimeStatus

if TYPE_CHECKING:
    from ..app import LlamadeskApp
    from ..viewmodels.metrics_history import MetricsHistory


class AppScreen(Screen):
    @property
    def app(self) -> LlamadeskApp:
        return cast("LlamadeskApp", App.get_running_app())

    def on_app_start(self) -> None:
        """The window is up: fetch what the screen shows."""

    def on_shown(self) -> None:
        """The user switched to this screen."""

    def on_runtime_status(self, status: RuntimeStatus) -> None:
        """A fresh runtime.status result (every few seconds)."""

    def on_metrics(self, history: MetricsHistory) -> None:
        """A new system.metrics sample (every few seconds)."""

    def on_library_changed(self) -> None:
        """A model was pulled, imported or removed: lists of models are stale."""

    def on_language_switch(self) -> None:
        """The language changed: kv text follows by itself; make again what Python wrote."""

    def rerender(self) -> None:
        """The theme changed: redraw anything drawn with baked-in colours."""
