# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""One palette per theme and one spacing scale; every widget reads its colours from here.

Kivy-free on purpose except for the `Theme` dispatcher at the bottom, so the
palettes can be checked (contrast, completeness) without a window.
"""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.metrics import dp
from kivy.properties import ColorProperty, StringProperty

# Spacing scale in dp: every padding and gap in the kv files is one of these.
XS, SM, MD, LG, XL = 4, 8, 12, 16, 24
TOUCH = 48  # minimum touch target, dp
NARROW_BELOW = 800  # dp: under this width the sidebar becomes a drawer
SIDEBAR_WIDTH = 280
FONT_MONO = "RobotoMono-Regular"
FONT_SIZE = 15  # sp, body text
FONT_SMALL = 12
# Segments per rounded corner. Kivy's default of 10 draws a shape as a fan of thin triangles
# that a software GL (llvmpipe) rasterizes at ~3x the cost of a plain rectangle of that size;
# 4 segments cost about half as much, and at radii of 8 to 12 dp stay within 0.4 px of a circle.
CORNER_SEGMENTS = 4

PALETTES: dict[str, dict[str, str]] = {
    "dark": {
        "bg": "#15171c",
        "surface": "#1d2027",
        "surface_alt": "#262a33",
        "border": "#323743",
        "text": "#e6e8ee",
        "text_muted": "#9aa1b2",
        "primary": "#7c9cff",
        "primary_text": "#0d1020",
        "danger": "#ff6b6b",
        "success": "#5dd39e",
        "warning": "#f5c451",
        "code_bg": "#0f1115",
        "user_bubble": "#2a3350",
        "link": "#8fb3ff",
    },
    "light": {
        "bg": "#f6f7f9",
        "surface": "#ffffff",
        "surface_alt": "#eceef3",
        "border": "#d6dae3",
        "text": "#1b1e26",
        "text_muted": "#5c6373",
        "primary": "#3a5bd9",
        "primary_text": "#ffffff",
        "danger": "#c73737",
        "success": "#1f8a5a",
        "warning": "#a86d00",
        "code_bg": "#f0f2f6",
        "user_bubble": "#dfe6ff",
        "link": "#2948c2",
    },
}

# Pygments styles for code blocks, one per theme.
CODE_STYLES = {"dark": "monokai", "light": "friendly"}


def hex_to_rgba(value: str) -> list[float]:
    value = value.lstrip("#")
    return [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)] + [1.0]


class Theme(EventDispatcher):
    """The live palette: kv binds to `app.theme.<colour>` and repaints on a switch."""

    name = StringProperty("dark")
    bg = ColorProperty()
    surface = ColorProperty()
    surface_alt = ColorProperty()
    border = ColorProperty()
    text = ColorProperty()
    text_muted = ColorProperty()
    primary = ColorProperty()
    primary_text = ColorProperty()
    danger = ColorProperty()
    success = ColorProperty()
    warning = ColorProperty()
    code_bg = ColorProperty()
    user_bubble = ColorProperty()
    link = ColorProperty()

    def __init__(self, name: str = "dark", **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.apply(name)

    def apply(self, name: str) -> None:
        palette = PALETTES.get(name, PALETTES["dark"])
        for key, value in palette.items():
            setattr(self, key, hex_to_rgba(value))
        self.name = name if name in PALETTES else "dark"

    def hex(self, key: str) -> str:
        """A colour as #rrggbb, for Kivy text markup."""
        return PALETTES[self.name][key]

    @staticmethod
    def dp(value: float) -> float:
        return float(dp(value))
