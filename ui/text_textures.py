"""Text that changes is drawn into a new texture, never into the one on screen.

Kivy's core label keeps a label's texture when the new text has the same pixel
size and uploads the new pixels into it. A GL that renders frames
asynchronously, such as Mesa's llvmpipe (offscreen SDL, machines without a GPU
driver), must then wait until every queued frame that still reads that texture
has been rasterized before the upload can happen. Measured on 2 cores: a
recycled message row re-rendering while the chat scrolled stalled the Kivy
thread for 0.3 to 6 s at a time. A fresh texture is not in use by any queued
frame, so its upload never waits; the old one is freed once nothing holds it.

Text is drawn at its own pixel size, so the new texture samples the nearest
texel instead of blending four: the same pixels on screen, and less work for
a software GL, which samples every pixel of every label on every frame.

The monospace font is registered by name: markup names it without its file's
extension (`[font=RobotoMono-Regular]`), which Kivy caches under the name with
`.ttf` added, so every span in it searched the disk again (about 0.1 ms each; a
frame that froze a code block and a table spent 1 to 3 ms there).
"""

from __future__ import annotations

from typing import Any

from .theme import FONT_MONO

_INSTALLED = "_llamadesk_fresh_texture"


def install() -> None:
    """Make every core label (plain and markup) render into a new texture (idempotent)."""
    from kivy.core.text import LabelBase

    register_font_names()
    original = LabelBase.refresh
    if getattr(original, _INSTALLED, False):
        return

    def refresh(self: Any) -> None:
        self.texture = None  # refresh() creates a texture when it has none
        original(self)
        texture = self.texture
        if texture is not None:
            texture.min_filter = texture.mag_filter = "nearest"

    setattr(refresh, _INSTALLED, True)
    LabelBase.refresh = refresh


def register_font_names(names: tuple[str, ...] = (FONT_MONO,)) -> None:
    """Register fonts that markup names by their file's stem under that name, with the file
    Kivy itself finds for it: same pixels, and the file is looked up once."""
    from kivy.core.text import Label as CoreLabel
    from kivy.core.text import LabelBase

    for name in names:
        if name in LabelBase._fonts:
            continue
        probe = CoreLabel(text="", font_name=name)
        probe.resolve_font_name()
        LabelBase.register(name, probe.options["font_name_r"])
