"""The interface font per language: Kivy's Roboto has no Chinese, so for zh the name
"Roboto" (every label's default) is pointed at WenQuanYi Micro Hei, which has Latin and
CJK glyphs in one face (SDL_ttf draws from one font only: a CJK-only font would turn the
Latin words of a Chinese window, model names included, into boxes).

It is 5.2 MB and only Chinese needs it, so it is looked up and opened only then. Debian's
fonts-wqy-microhei installs it (`make system-deps`); the bundle carries a cut-down copy
(about 0.8 MB: packaging/cjk_font.py) in `llamadesk/ui/fonts/`.
"""

from __future__ import annotations

from ast import literal_eval
from functools import lru_cache
from pathlib import Path

from kivy.config import Config
from kivy.core.text import DEFAULT_FONT, LabelBase

CJK_FONT_NAME = "wqy-microhei.ttc"
CJK_FONT_FILES = (
    Path(__file__).parent / "fonts" / "wqy-microhei-common.ttf",  # the bundle's, cut down
    Path("/usr/share/fonts/truetype/wqy") / CJK_FONT_NAME,  # Debian, Ubuntu
    Path("/usr/share/fonts/wqy-microhei") / CJK_FONT_NAME,  # Fedora
)
NEEDS_CJK = frozenset({"zh"})
# Kivy's default font's files, as Kivy itself registers them, to switch back.
ROBOTO = tuple(literal_eval(Config.get("kivy", "default_font"))[1:])


def cjk_font() -> Path | None:
    """The CJK font's file, where one is installed."""
    return next((path for path in CJK_FONT_FILES if path.is_file()), None)


@lru_cache(maxsize=1)
def script_font() -> str:
    """The CJK font's file for Chinese, Japanese or Korean runs in answers, whatever the
    window's language ("" where none is installed); looked up once, as every streamed frame
    builds a markup style."""
    return str(cjk_font() or "")


def use_font_for(language: str) -> bool:
    """Labels drawn from now on use a font that has `language`'s glyphs. False when that
    needs the CJK font and it is not installed (the text then shows as boxes)."""
    if language not in NEEDS_CJK:
        LabelBase.register(DEFAULT_FONT, *ROBOTO)
        return True
    path = cjk_font()
    if path is None:
        LabelBase.register(DEFAULT_FONT, *ROBOTO)
        return False
    LabelBase.register(DEFAULT_FONT, str(path))
    return True


def font_for_text(text: str) -> str:
    """A font that draws `text`: the CJK one for Chinese characters (where installed), else
    the default. For a word shown in its own language whatever the window's (the language
    menu's 中文, drawn as boxes in Roboto)."""
    path = cjk_font() if any("\u2e80" <= char <= "\u9fff" for char in text) else None
    return str(path) if path is not None else DEFAULT_FONT
