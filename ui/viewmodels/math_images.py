"""TeX formulas rendered to images, off the Kivy thread, cached by source.

matplotlib's mathtext does the rendering: a well-kept TeX math parser and layout engine
(fractions, roots, sums, integrals, Greek, accents, `\\substack`...) with the Computer
Modern look, that needs no LaTeX installation and renders straight to a bitmap.

It runs in one worker *process*, started with the first formula: its parser is pure Python
(pyparsing, ~100 ms a formula), and on a thread it held the GIL the window needs, which
took an answer streaming with formulas from frame p99 ~27 ms to ~90 ms. matplotlib's
~0.6 s import is paid there too. The window turns the bitmap into a texture. A formula
that does not parse is remembered as failed, and the message shows its source instead.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

KEPT = 500  # formulas kept rendered; a chat rarely shows more
WORKER_NICENESS = 10


@dataclass(frozen=True)
class MathImage:
    """A rendered formula: RGBA pixels, top row first; `depth` is how far it reaches below
    the text's baseline (for inline placement)."""

    width: int
    height: int
    depth: float
    rgba: bytes


@dataclass(frozen=True)
class MathFailure:
    message: str  # what the parser said, for the tooltip and logs


Rendered = MathImage | MathFailure
Key = tuple[str, int, tuple[int, int, int]]


def render(tex: str, size_px: int, color: tuple[int, int, int]) -> Rendered:
    """`tex` (without dollars) at a font size of `size_px` pixels, in `color` on transparent."""
    import numpy as np
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    try:
        parsed = _parser(MathTextParser).parse(
            f"${tex}$", dpi=72, prop=FontProperties(size=size_px, math_fontfamily="cm")
        )
    except (ValueError, RuntimeError) as exc:  # a syntax error, an unknown command
        return MathFailure(str(exc).strip().splitlines()[-1] if str(exc).strip() else "cannot parse")
    alpha = np.asarray(parsed.image, dtype=np.uint8)
    height, width = alpha.shape
    if not width or not height:
        return MathFailure("empty formula")
    pixels = np.empty((height, width, 4), dtype=np.uint8)
    pixels[..., 0], pixels[..., 1], pixels[..., 2] = color
    pixels[..., 3] = alpha
    return MathImage(width=width, height=height, depth=float(parsed.depth), rgba=pixels.tobytes())


def _yield_to_the_window() -> None:
    """In the worker: run at a lower priority than the app. Its renders are background work,
    and on a machine with few cores (software GL draws the window on the same ones) the
    window's frames come first."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):  # not allowed here: renders at the app's priority
            os.nice(WORKER_NICENESS)


_parsers: dict[str, Any] = {}


def _parser(cls: Any) -> Any:
    if "agg" not in _parsers:
        _parsers["agg"] = cls("agg")
    return _parsers["agg"]


class MathImages:
    """Rendered formulas by (source, size, colour). `get` answers at once from the cache;
    `request` renders on the worker and calls `on_done(key)` (from another thread) when
    ready. `in_process=True` renders on a thread instead (tests of the bookkeeping)."""

    def __init__(
        self,
        renderer: Callable[[str, int, tuple[int, int, int]], Rendered] = render,
        in_process: bool = False,
    ) -> None:
        self._render = renderer
        self._in_process = in_process
        self._lock = threading.Lock()
        self._done: OrderedDict[Key, Rendered] = OrderedDict()
        self._asked: set[Key] = set()
        self._pool: Executor | None = None
        self._warming = False
        self._closed = False
        self.started = threading.Event()  # the worker has rendered its first formula

    def _executor(self) -> Executor:
        if self._pool is None:
            if self._in_process:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llamadesk-math")
            else:
                context = multiprocessing.get_context("spawn")  # as the model workers: no forked Kivy
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=context, initializer=_yield_to_the_window
                )
        return self._pool

    def warm(self) -> None:
        """Start the worker (a process start and matplotlib's import) ahead of the first
        formula: when a message with math is first parsed, before it is drawn. On a thread:
        making the pool and spawning its process took 20-40 ms of the Kivy thread, one long
        frame in the middle of the answer that brought the first formula."""
        with self._lock:
            if self._pool is not None or self._warming:
                return
            self._warming = True
        threading.Thread(target=self._start, name="llamadesk-math-start", daemon=True).start()

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                return
            executor = self._executor()
        with contextlib.suppress(RuntimeError):  # shut down meanwhile: the app is closing
            first = executor.submit(self._render, "x", 10, (0, 0, 0))
            first.add_done_callback(lambda _done: self.started.set())

    def get(self, key: Key) -> Rendered | None:
        with self._lock:
            found = self._done.get(key)
            if found is not None:
                self._done.move_to_end(key)
            return found

    def request(self, key: Key, on_done: Callable[[Key], None]) -> None:
        with self._lock:
            if key in self._done or key in self._asked:
                return
            self._asked.add(key)
            executor = self._executor()
        tex, size, color = key
        try:
            future = executor.submit(self._render, tex, size, color)
        except RuntimeError:  # shut down: the app is closing
            return
        future.add_done_callback(lambda done: self._finish(key, done, on_done))

    def _finish(self, key: Key, future: Future[Rendered], on_done: Callable[[Key], None]) -> None:
        if future.cancelled():
            return
        try:
            result = future.result()
        except Exception as exc:  # the worker died, or the renderer raised: never stop the others
            result = MathFailure(f"{type(exc).__name__}: {exc}")
        with self._lock:
            self._asked.discard(key)
            self._done[key] = result
            while len(self._done) > KEPT:
                self._done.popitem(last=False)
        on_done(key)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
