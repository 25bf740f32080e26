"""What `plugins.list` reports about loaded and failed plugins."""

from __future__ import annotations

from pydantic import Field

from .base import Record


class PluginInfo(Record):
    name: str = Field(description="Name it was registered (and can be blocked) under.")
    origin: str = Field(description="core, default, or the entry point and distribution it came from.")
    hooks: list[str] = Field(default_factory=list, description="Hooks it implements.")


class PluginFailure(Record):
    name: str
    stage: str = Field(description="importing, registering, or 'in hook <name>'.")
    error: str
