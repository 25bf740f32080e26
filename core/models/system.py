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
