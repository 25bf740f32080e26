"""The resource monitor's history without a window: `system.metrics` samples of the last
minutes, each figure as a series the graph draws, and the line the status bar shows."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from llamadesk.core.models.system import SystemMetrics

from ..catalogs import tr
from .formatting import human_bytes
from .status import short_model_name

KEPT_SECONDS = 300  # five minutes of samples


@dataclass(frozen=True)
class Series:
    label: str
    color: str  # a theme colour's name
    points: list[tuple[float, float]]  # (seconds before now, 0..1 of the graph's height)
    now: str  # the latest value, as text


class MetricsHistory:
    def __init__(self, kept_seconds: float = KEPT_SECONDS) -> None:
        self.kept = kept_seconds
        self.samples: deque[SystemMetrics] = deque()

    def add(self, sample: SystemMetrics) -> None:
        self.samples.append(sample)
        while self.samples and sample.time - self.samples[0].time > self.kept:
            self.samples.popleft()

    @property
    def latest(self) -> SystemMetrics | None:
        return self.samples[-1] if self.samples else None

    def series(self) -> list[Series]:
        """CPU (of the machine), memory used by the app and its models (of all memory),
        tokens/s (of the fastest seen), GPU use: each scaled to the graph's height."""
        if not self.samples:
            return []
        end = self.samples[-1].time
        latest = self.samples[-1]

        def points(value: Callable[[SystemMetrics], float]) -> list[tuple[float, float]]:
            return [(end - s.time, min(1.0, max(0.0, value(s)))) for s in self.samples]

        fastest = max((s.tokens_per_second or 0.0) for s in self.samples) or 1.0
        found = [
            Series("CPU", "primary", points(lambda s: s.cpu_percent / 100), f"{latest.cpu_percent:.0f}%"),
            Series(
                tr("Memory"),
                "warning",
                points(lambda s: used(s) / max(1, s.total_memory_bytes)),
                human_bytes(used(latest)),
            ),
            Series(
                "tokens/s",
                "success",
                points(lambda s: (s.tokens_per_second or 0.0) / fastest),
                f"{latest.tokens_per_second:.1f}" if latest.tokens_per_second else tr("none yet"),
            ),
        ]
        if latest.gpus:
            found.append(
                Series(
                    "GPU",
                    "danger",
                    points(lambda s: (s.gpus[0].utilization_percent / 100) if s.gpus else 0.0),
                    f"{latest.gpus[0].utilization_percent:.0f}%",
                )
            )
        return found


def used(sample: SystemMetrics) -> int:
    """Memory the app and its model workers hold."""
    return sample.app_rss_bytes + sum(w.rss_bytes for w in sample.workers)


def detail_lines(sample: SystemMetrics) -> list[str]:
    """The figures under the graph: the app, each worker, each GPU."""
    lines = [
        tr("CPU {percent}% (the app {app_percent}% of a core)").format(
            percent=f"{sample.cpu_percent:.0f}", app_percent=f"{sample.app_cpu_percent:.0f}"
        ),
        tr("The app: {used} of {total} ({free} free)").format(
            used=human_bytes(sample.app_rss_bytes),
            total=human_bytes(sample.total_memory_bytes),
            free=human_bytes(sample.available_memory_bytes),
        ),
    ]
    lines += [
        f"{short_model_name(w.model)}: {human_bytes(w.rss_bytes)}, CPU {w.cpu_percent:.0f}% (pid {w.pid})"
        for w in sample.workers
    ]
    if sample.tokens_per_second:
        lines.append(tr("Last answer: {speed} tokens/s").format(speed=f"{sample.tokens_per_second:.1f}"))
    lines += [
        f"GPU {g.index} {g.name}: {g.utilization_percent:.0f}%, "
        f"{human_bytes(g.memory_used_bytes)} of {human_bytes(g.memory_total_bytes)}"
        for g in sample.gpus
    ]
    if sample.gpu_note:
        lines.append(sample.gpu_note)
    return lines
