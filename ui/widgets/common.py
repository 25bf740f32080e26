# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""Small building blocks themed from `app.theme`: buttons, text fields, badges, panels."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

from llamadesk.ui.widgets.trimmed_label import TrimmedLabel


class FlatButton(ButtonBehavior, Label):
    """A text button at least 48 dp tall; `style` is primary, plain, danger or ghost."""

    style = StringProperty("plain")
    selected = BooleanProperty(False)


class Badge(Label):
    """A small coloured tag: fits / tight / too big, quant names, states."""

    tone = StringProperty("muted")


class MutedLabel(TrimmedLabel):
    pass


class BodyLabel(Label):
    pass


class TitleLabel(Label):
    pass


class Panel(BoxLayout):
    """A surface with a rounded background."""

    tone = StringProperty("surface")


class FieldInput(TextInput):
    """A single-line text field with the theme's colours; `error` outlines it red."""

    error = StringProperty("")


class Divider(BoxLayout):
    pass


class Spacer(BoxLayout):
    pass


class HStack(BoxLayout):
    pass


class VStack(BoxLayout):
    pass


class ChipBar(BoxLayout):
    items = ListProperty()


class ComposerInput(TextInput):
    """Multi-line input where Enter submits and Shift+Enter starts a new line; Tab asks
    `completer` (an @mention being typed) before moving the focus."""

    __events__ = ("on_submit",)
    completer = ObjectProperty(None, allownone=True)  # () -> bool: True when it completed

    def keyboard_on_key_down(
        self, window: object, keycode: tuple[int, str], text: str, modifiers: list[str]
    ) -> bool:
        if keycode[0] in (13, 271) and "shift" not in modifiers:
            self.dispatch("on_submit")
            return True
        if keycode[0] == 9 and self.completer is not None and self.completer():
            return True
        return bool(super().keyboard_on_key_down(window, keycode, text, modifiers))

    def on_submit(self) -> None:
        pass


def make(class_name: str, **props: object) -> Widget:
    """Build a kv-declared (dynamic) class: its kv properties exist only after construction."""
    from kivy.factory import Factory

    widget = getattr(Factory, class_name)()
    for key, value in props.items():
        setattr(widget, key, value)
    return widget
