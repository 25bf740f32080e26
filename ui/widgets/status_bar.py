# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""One line at the bottom: loaded models, memory in use, last generation speed."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from llamadesk.ui.widgets.solid_fill import SolidFill

from ..catalogs import N_


class StatusBar(SolidFill, BoxLayout):
    models_text = StringProperty(N_("No model loaded"))
    memory_text = StringProperty("")
    speed_text = StringProperty("")
    message = StringProperty("")


class MonitorButton(ButtonBehavior, Label):
    """The memory figure; pressed, it opens the resource monitor."""
