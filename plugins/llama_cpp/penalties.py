"""Repeat, frequency and presence penalties, applied to the window's tokens only.

llama.cpp's penalties sampler looks every token of the vocabulary up in its window's
counts: on the starter model's 49k vocabulary that is ~0.1 ms a token, more than the
rest of a pick, and with four slots about 3% of each batch step. The
window holds at most 64 distinct tokens, so here their logits are penalized in place
(the same arithmetic, in float32, as llama.cpp), the chain picks, and their values
are put back: logprobs and drafts read the model's own logits as before.
"""

from __future__ import annotations

import ctypes
from collections import Counter, deque
from collections.abc import Callable, Iterable

import numpy as np

PENALTY_WINDOW = 64  # the last tokens counted (prompt included), as llama-server's penalty_last_n


class Penalties:
    def __init__(self, repeat: float, frequency: float, presence: float, recent: Iterable[int]) -> None:
        # float32 as in llama.cpp: the same divisions round the same way.
        self.repeat = float(np.float32(repeat))
        self.frequency, self.presence = np.float32(frequency), np.float32(presence)
        self.shifted = bool(frequency or presence)
        self.window: deque[int] = deque(maxlen=PENALTY_WINDOW)
        self.counts: Counter[int] = Counter()
        for token in recent:
            self.accept(token)

    def accept(self, token: int) -> None:
        """`token` joins the window (the oldest one leaves a full window)."""
        if len(self.window) == PENALTY_WINDOW:
            oldest = self.window[0]
            self.counts[oldest] -= 1
            if not self.counts[oldest]:
                del self.counts[oldest]
        self.window.append(token)
        self.counts[token] += 1

    def apply(self, logits: ctypes._Pointer[ctypes.c_float]) -> list[float]:
        """Penalize the window's tokens in `logits`; returns their values before, for `restore`."""
        saved = []
        repeat = self.repeat
        for token, count in self.counts.items():
            value = logits[token]
            saved.append(value)
            # Stored as a C float: a double quotient of two floats rounds to the float one.
            value = value * repeat if value <= 0 else value / repeat
            if self.shifted:
                value = float(np.float32(value) - (np.float32(count) * self.frequency + self.presence))
            logits[token] = value
        return saved

    def restore(self, logits: ctypes._Pointer[ctypes.c_float], saved: list[float]) -> None:
        for token, value in zip(self.counts, saved, strict=True):
            logits[token] = value


def penalized(
    pick: Callable[[int], int],
    penalties: Penalties,
    logits_at: Callable[[int], ctypes._Pointer[ctypes.c_float]],
) -> Callable[[int], int]:
    """`pick` from logits penalized for the recent tokens; the token picked joins them."""

    def pick_penalized(index: int) -> int:
        logits = logits_at(index)
        saved = penalties.apply(logits)
        try:
            token = pick(index)
        finally:
            penalties.restore(logits, saved)
        penalties.accept(token)
        return token

    return pick_penalized
