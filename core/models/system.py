"""What the system.* and plugins.* commands take and return."""

from __future__ import annotations

from pydantic import Field

from .base import CommandParams, Record
from .plugins import PluginFailure, PluginInfo


class SystemInfo(Record):
    version: str
    python: str
    platform: str
    config_dir: str
    data_dir: str
    cache_dir: str
    models_dir: str
    notices: list[str] = Field(description="Messages the user should see once.")


class PluginList(Record):
    plugins: list[PluginInfo]
    failures: list[PluginFailure]


class TickerParams(CommandParams):
    count: int = Field(10, ge=0, le=100_000, description="How many ticks to emit.")
    interval: float = Field(0.05, ge=0, le=10, description="Seconds between ticks.")


class TickerResult(Record):
    ticks: int = Field(description="Ticks emitted before the end or the cancel.")
    cancelled: bool


class WorkerMetrics(Record):
    """A loaded model's process."""

    model: str
    pid: int
    rss_bytes: int = Field(description="Resident memory of the worker process.")
    cpu_percent: float = Field(description="CPU of the worker since the last sample (100 = one core).")


class GpuMetrics(Record):
    index: int
    name: str
    utilization_percent: float
    memory_used_bytes: int
    memory_total_bytes: int


class SystemMetrics(Record):
    """One sample of what the app and its models use (`system.metrics`)."""

    time: float = Field(description="When it was taken (Unix time).")
    cpu_percent: float = Field(description="The whole machine's CPU since the last sample (100 = all cores).")
    app_cpu_percent: float = Field(description="The app's own process (100 = one core).")
    app_rss_bytes: int = Field(description="Resident memory of the app's own process.")
    total_memory_bytes: int
    available_memory_bytes: int
    workers: list[WorkerMetrics] = Field(default_factory=list)
    tokens_per_second: float | None = Field(None, description="Speed of the last generation.")
    gpus: list[GpuMetrics] = Field(default_factory=list)
    gpu_note: str = Field("", description="Why no GPU is listed, when none is.")
