"""What every screen can be told by the app."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.uix.screenmanager import Screen


class AppScreen(Screen):
    @property
    def app(self) -> Any:
        return App.get_running_app()

    def on_app_start(self) -> None:
        """The window is up: fetch what the screen shows."""

    def on_shown(self) -> None:
        """The user switched to this screen."""

    def on_runtime_status(self, status: dict[str, Any]) -> None:
        """A fresh runtime.status result (every few seconds)."""

    def rerender(self) -> None:
        """The theme changed: redraw anything drawn with baked-in colours."""
