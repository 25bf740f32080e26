"""The API server's settings (`config set server.port 9000`)."""

from __future__ import annotations

from pydantic import Field

from llamadesk.core.models.base import UserOptions
from llamadesk.core.models.settings import SettingsSection


class ServerSettings(UserOptions):
    host: str = Field("127.0.0.1", description="Address the local API server listens on.")
    port: int = Field(8765, ge=1, le=65535, description="Port of the local API server.")
    api_key: str | None = Field(
        None, description="Key clients must send to the API server; empty allows any."
    )
    max_body_mb: int = Field(
        4,
        ge=1,
        le=1024,
        description="Largest request body the API server reads, in MiB; a larger one is refused "
        "(413) before it is parsed.",
    )


SECTION = SettingsSection(
    namespace="server",
    model=ServerSettings,
    title="API server",
    description="The local server OpenAI, Ollama and Anthropic clients, editors and scripts use "
    "your models through.",
    moved_keys={"server_host": "host", "server_port": "port", "server_api_key": "api_key"},
)
