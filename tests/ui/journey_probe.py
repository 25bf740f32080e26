"""Starts the app as the `llamadesk` command does, plus a read-only probe for the journeys.

A journey clicks where a person would see a button. To know where that is without guessing
pixels, this launcher runs the same `llamadesk.cli.main.main()` and, when the test asks
(it writes a nonce to `$LLAMADESK_JOURNEY_PROBE/ask`), writes every visible widget of the
window to `widgets.json`: its class, its text, its kv ids, its rectangle in window
coordinates, whether it is disabled or has the keyboard focus, its font, and the row it sits in (a RecycleView row's
`name`, `repo_id`, `role`, ...). It never changes a widget. Nothing of it ships in the app.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# What a row of a list says about itself (RecycleView rows, file chooser entries).
CONTEXT_KEYS = ("repo_id", "name", "reference", "role", "message_id", "path", "session_id", "model", "key")
Rect = tuple[float, float, float, float]


def _inside(clip: Rect, x: float, y: float) -> bool:
    return clip[0] <= x <= clip[0] + clip[2] and clip[1] <= y <= clip[1] + clip[3]


def _intersect(a: Rect, b: Rect) -> Rect:
    left, bottom = max(a[0], b[0]), max(a[1], b[1])
    right, top = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return (left, bottom, max(0.0, right - left), max(0.0, top - bottom))


def visible_widgets(window: Any) -> list[dict[str, Any]]:
    """The widgets drawn on `window`, topmost layer (a dialog) first."""
    from kivy.uix.stencilview import StencilView

    found: list[dict[str, Any]] = []
    names: dict[int, list[str]] = {}

    def visit(widget: Any, clip: Rect, context: dict[str, str], layer: int) -> None:
        if widget.opacity == 0:
            return
        x, y = widget.to_window(widget.x, widget.y)
        rect = (float(x), float(y), float(widget.width), float(widget.height))
        if isinstance(widget, StencilView):  # scroll views: what is scrolled away is hidden
            clip = _intersect(clip, rect)
        context = dict(context)
        for key in CONTEXT_KEYS:
            value = getattr(widget, key, None)
            if isinstance(value, str) and value:
                context[key] = value
        for key, child in getattr(widget, "ids", {}).items():
            # kv keeps ids as weak proxies: the widget's own proxy_ref is that same object.
            names.setdefault(id(child), []).append(key)
        text = getattr(widget, "text", None)
        if (
            widget.width > 0
            and widget.height > 0
            and _inside(clip, x + widget.width / 2, y + widget.height / 2)
        ):
            found.append(
                {
                    "class": type(widget).__name__,
                    "text": text if isinstance(text, str) else "",
                    "ids": names.get(id(widget.proxy_ref), []) + names.get(id(widget), []),
                    "rect": rect,
                    "disabled": bool(widget.disabled),
                    "font": str(getattr(widget, "font_name", "")),
                    "focus": bool(getattr(widget, "focus", False)),
                    "context": context,
                    "layer": layer,
                }
            )
        for child in widget.children:
            visit(child, clip, context, layer)

    full: Rect = (0.0, 0.0, float(window.width), float(window.height))
    for layer, top in enumerate(window.children):  # children[0] is drawn last: on top
        visit(top, full, {}, layer)
    return found


def install_probe(folder: Path) -> None:
    from kivy.clock import Clock

    ask, answer = folder / "ask", folder / "widgets.json"

    def answer_if_asked(_dt: float) -> None:
        try:
            nonce = ask.read_text()
        except OSError:
            return
        from kivy.core.window import Window  # exists by now: the app is running

        part = answer.with_suffix(".part")
        part.write_text(
            json.dumps({"nonce": nonce, "size": list(Window.size), "widgets": visible_widgets(Window)})
        )
        part.replace(answer)
        ask.unlink(missing_ok=True)

    Clock.schedule_interval(answer_if_asked, 0.1)


if __name__ == "__main__":
    from llamadesk.ui.launch import prepare_kivy_env

    prepare_kivy_env()  # before Kivy is imported, as the app's own launch does
    install_probe(Path(os.environ["LLAMADESK_JOURNEY_PROBE"]))
    from llamadesk.cli.main import main

    sys.argv[0] = "llamadesk"
    sys.exit(main([]))
