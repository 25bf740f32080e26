"""The user's settings. The settings screen and `config` CLI are generated from these fields."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field

from .base import UserOptions
from .llama import LoadOptions, SamplingParams


class Theme(StrEnum):
    DARK = "dark"
    LIGHT = "light"


class ChatHistoryOptions(UserOptions):
    """What the app keeps of past chats."""

    keep_history: bool = Field(True, description="Save chats so they are there next time.")
    persist_interval_ms: int = Field(
        250, ge=50, le=5000, description="How often a streaming answer is saved."
    )
    generate_titles: bool = Field(True, description="Let the model title a chat after its first exchange.")


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


class AppConfig(UserOptions):
    """Everything a user can set. Saved as JSON in the config folder."""

    models_dir: Path | None = Field(
        None,
        description="Folder holding models (Ollama layout). Empty uses the app's data folder; "
        "point it at ~/.ollama/models to share Ollama's models.",
    )
    theme: Theme = Field(Theme.DARK, description="Colour theme of the window.")
    language: str = Field("en", description="Language of the interface.")
    load: LoadOptions = Field(default_factory=LoadOptions, description="Defaults for loading a model.")
    sampling: SamplingParams = Field(
        default_factory=SamplingParams, description="Defaults for generating text."
    )
    idle_unload_minutes: int | None = Field(
        None, ge=1, description="Unload a model nobody used for this long; empty keeps it loaded."
    )
    server_host: str = Field("127.0.0.1", description="Address the local API server listens on.")
    server_port: int = Field(8765, ge=1, le=65535, description="Port of the local API server.")
    server_api_key: str | None = Field(
        None, description="Key clients must send to the API server; empty allows any."
    )
    remotes: list[RemoteServer] = Field(
        default_factory=list, description="OpenAI-compatible servers whose models you can use."
    )
    llama_server: LlamaServerOptions = Field(
        default_factory=LlamaServerOptions, description="An external llama-server to run models with."
    )
    http_proxy: str | None = Field(
        None, description="Proxy for downloads, like http://host:3128; empty uses HTTP(S)_PROXY."
    )
    hf_endpoint: str | None = Field(
        None, description="Hugging Face endpoint or mirror; empty uses huggingface.co."
    )
    chat: ChatHistoryOptions = Field(default_factory=ChatHistoryOptions, description="Chat history options.")
    disabled_plugins: list[str] = Field(default_factory=list, description="Plugins not to load, by name.")
