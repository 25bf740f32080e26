"""Params and results of the `server.*` commands (the API server plugin's), which the
Settings screen's server switch shows."""

from __future__ import annotations

from pydantic import Field

from .base import CommandParams, Record


class ServerStartParams(CommandParams):
    host: str | None = Field(None, description="Address to listen on; empty uses the server.host setting.")
    port: int | None = Field(
        None, ge=0, le=65535, description="Port; empty uses the server.port setting, 0 picks a free one."
    )
    api_key: str | None = Field(
        None, description="Key clients must send as a Bearer token; empty uses the server.api_key setting."
    )


class ServerStatus(Record):
    running: bool
    url: str | None = Field(None, description="Base URL for OpenAI clients, e.g. http://127.0.0.1:8765/v1.")
    host: str | None = None
    port: int | None = None
    key_required: bool = Field(False, description="Clients must send the API key.")
    started_at: float | None = Field(None, description="Unix time the server started.")
    generating: int = Field(0, description="Requests generating right now.")
    queued: int = Field(0, description="Requests waiting for their model's turn.")
    finished: int = Field(0, description="Generations ended since the server started.")
    cancelled: int = Field(0, description="Of those, generations stopped because their client went away.")
