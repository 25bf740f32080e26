"""The bundle's Chinese font: WenQuanYi Micro Hei cut down to what a Chinese window needs.

The whole face is 5.2 MB and would take the bundle past its 150 MB target (issue #8). Cut
to GB2312's first level (the 3,755 most used hanzi, nearly all of everyday text), every
character of the Chinese catalog, Latin, punctuation and the symbols the window draws, it
is about 0.8 MB. Running from source uses the whole installed face (ui/fonts.py).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

BUNDLE_NAME = "wqy-microhei-common.ttf"  # ui/fonts.py looks for this name first
# Latin with its accents, general punctuation, arrows, geometric shapes (▲ ▼ ■), CJK
# punctuation, full-width forms.
KEPT_RANGES = (
    (0x20, 0x250),
    (0x2000, 0x2070),
    (0x2190, 0x2200),
    (0x25A0, 0x2600),
    (0x3000, 0x3040),
    (0xFF00, 0xFFF0),
)


def gb2312_level_one() -> set[str]:
    """GB2312 rows 16-55: its first level, the most frequently used hanzi."""
    found = set()
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            with suppress(UnicodeDecodeError):  # the row's unused cells
                found.add(bytes((row, cell)).decode("gb2312"))
    return found


def write_bundle_font(source: Path, catalog: Path, folder: Path) -> Path:
    """The cut-down face of `source` (a .ttc: its first face) in `folder`, with every
    character of `catalog` (the Chinese .po) kept."""
    codepoints = {ord(c) for c in gb2312_level_one() | set(catalog.read_text(encoding="utf-8"))}
    for start, end in KEPT_RANGES:
        codepoints.update(range(start, end))
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # else a line per table in the build log
    font = TTFont(str(source), fontNumber=0)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.hinting = False  # SDL_ttf renders it unhinted as well as hinted; hints are a third
    options.notdef_outline = True  # a missing character still shows as a box, not nothing
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / BUNDLE_NAME
    font.save(str(target))
    return target
