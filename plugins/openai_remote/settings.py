"""This plugin's settings: the remote servers, and an external llama-server
(`config set remote.llama_server.binary /path/to/llama-server`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from llamadesk.core.models.base import UserOptions
from llamadesk.core.models.settings import SettingsSection


class RemoteServer(UserOptions):
    """An OpenAI-compatible server whose models this app can use (llama-server, vLLM, Ollama...)."""

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$",
        description="Short name; its models appear as @NAME/MODEL.",
    )
    base_url: str = Field(
        pattern=r"^https?://",
        description="Base URL of its OpenAI API, like http://gpubox:8080/v1 (/v1 is added when missing).",
    )
    api_key: str | None = Field(None, description="Bearer key the server expects; empty sends none.")


class LlamaServerOptions(UserOptions):
    """An external llama.cpp `llama-server` the app starts for local models (your own GPU build)."""

    binary: Path | None = Field(
        None, description="The llama-server executable; empty leaves models to the built-in backend."
    )
    extra_args: list[str] = Field(
        default_factory=list, description="More arguments for llama-server, like --flash-attn on."
    )
    startup_timeout_seconds: int = Field(
        120, ge=1, le=3600, description="How long a model may take to load before the start fails."
    )


class RemoteSettings(UserOptions):
    servers: list[RemoteServer] = Field(
        default_factory=list,
        description="OpenAI-compatible servers whose models you can use (`llamadesk remote add`).",
    )
    llama_server: LlamaServerOptions = Field(
        default_factory=LlamaServerOptions, description="An external llama-server to run models with."
    )


SECTION = SettingsSection(
    namespace="remote",
    model=RemoteSettings,
    title="Remote servers",
    description="Other machines' OpenAI-compatible servers, and your own llama-server build.",
    moved_keys={"remotes": "servers", "llama_server": "llama_server"},
)
