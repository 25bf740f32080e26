"""With a software GL, clear only the window's colour buffer at each frame.

Kivy clears colour, depth and stencil buffers before every frame. Nothing in
this app uses the depth buffer, and Kivy's stencil instructions clear the
stencil buffer themselves when the first StencilPush of a frame runs. On Mesa's
llvmpipe the two extra buffers cost as much as the colour buffer to clear:
measured on 2 cores, 1200x800, the frame's GL time went from 8.2-9.1 ms to
6.0-7.1 ms, and an empty window from 4.2 to 2.2 ms. On a GPU (a tiled one in
particular) a full clear is the cheap, recommended one, so it is left alone.
"""

from __future__ import annotations

from typing import Any

SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "swiftshader")


def is_software_gl() -> bool:
    from kivy.graphics.opengl import GL_RENDERER, glGetString

    renderer = glGetString(GL_RENDERER)
    name = renderer.decode(errors="replace") if isinstance(renderer, bytes) else str(renderer or "")
    return any(soft in name.lower() for soft in SOFTWARE_RENDERERS)


def clear_colour_only_on_software_gl(window: Any) -> bool:
    """Replace the window's per-frame clear when the GL is a software one; True if replaced."""
    if not is_software_gl():
        return False
    from kivy.graphics.opengl import GL_COLOR_BUFFER_BIT, glClear, glClearColor

    def clear() -> None:
        glClearColor(*window.clearcolor)
        glClear(GL_COLOR_BUFFER_BIT)

    window.clear = clear
    return True
