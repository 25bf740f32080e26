"""The downloads panel's state: one entry per pull, fed by ProgressEvents (bytes)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..catalogs import tr
from .formatting import RateMeter, human_bytes, human_eta, human_rate, percent


@dataclass
class Download:
    reference: str
    done: float = 0
    total: float | None = None
    state: str = "downloading"  # downloading, done, failed, cancelled
    error: str = ""
    rate: float | None = None
    meter: RateMeter = field(default_factory=RateMeter)

    def progress(self, done: float, total: float | None, now: float | None = None) -> None:
        self.done, self.total = done, total if total else self.total
        self.rate = self.meter.add(time.monotonic() if now is None else now, done)

    @property
    def percent(self) -> float:
        return 100.0 if self.state == "done" else percent(self.done, self.total)

    def row(self) -> dict[str, object]:
        if self.state == "done":
            detail = tr("Done · {size}").format(size=human_bytes(self.total or self.done))
        elif self.state in ("failed", "cancelled"):
            detail = self.error or (tr("Failed") if self.state == "failed" else tr("Cancelled"))
        else:
            remaining = (self.total - self.done) if self.total else None
            detail = " · ".join(
                part
                for part in (
                    tr("{done} of {total}").format(done=human_bytes(self.done), total=human_bytes(self.total))
                    if self.total
                    else human_bytes(self.done),
                    human_rate(self.rate),
                    human_eta(remaining, self.rate),
                )
                if part
            )
        return {
            "reference": self.reference,
            "percent": self.percent,
            "percent_text": f"{self.percent:.0f}%",
            "detail": detail,
            "active": self.state == "downloading",
            "can_retry": self.state in ("failed", "cancelled"),
        }
