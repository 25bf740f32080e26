"""Numbers as people read them: sizes, speeds, times left."""

from __future__ import annotations

import math

from ..catalogs import N_, trn


def human_bytes(value: float | None) -> str:
    if value is None:
        return "?"
    units = ["B", "KB", "MB", "GB", "TB"]
    size = float(value)
    for unit in units:
        if abs(size) < 1000 or unit == units[-1]:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def human_rate(bytes_per_second: float | None) -> str:
    return "" if not bytes_per_second else f"{human_bytes(bytes_per_second)}/s"


def human_eta(remaining_bytes: float | None, bytes_per_second: float | None) -> str:
    if not remaining_bytes or not bytes_per_second or bytes_per_second <= 0:
        return ""
    seconds = math.ceil(remaining_bytes / bytes_per_second)
    if seconds < 60:
        return f"{seconds}s left"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s left"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m left"


def percent(done: float, total: float | None) -> float:
    if not total:
        return 0.0
    return max(0.0, min(100.0, 100.0 * done / total))


def token_footer(tokens: int | None, tokens_per_second: float | None) -> str:
    parts = []
    if tokens:
        parts.append(trn("{count} token", "{count} tokens", tokens).format(count=tokens))
    if tokens_per_second:
        parts.append(f"{tokens_per_second:.1f} tok/s")
    return " · ".join(parts)


class RateMeter:
    """Bytes per second over a sliding window of samples, for the downloads panel."""

    def __init__(self, window: float = 3.0) -> None:
        self.window = window
        self._samples: list[tuple[float, float]] = []

    def add(self, when: float, done: float) -> float | None:
        self._samples.append((when, done))
        while len(self._samples) > 2 and when - self._samples[0][0] > self.window:
            self._samples.pop(0)
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else None


def fit_badge(size_bytes: float | None, available_bytes: float | None) -> str:
    """fits / tight / too big: will a model of this size load into free memory?"""
    if not size_bytes or not available_bytes:
        return ""
    need = size_bytes * 1.2  # weights plus a modest context and runtime overhead
    if need <= available_bytes * 0.7:
        return N_("fits")
    if need <= available_bytes:
        return N_("tight")
    return N_("too big")
