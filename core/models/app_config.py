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


class Language(StrEnum):
    """The interface's languages (the window has a complete catalog for each)."""

    EN = "en"
    ES = "es"
    FR = "fr"
    DE = "de"
    ZH = "zh"


class ChatHistoryOptions(UserOptions):
    """What the app keeps of past chats."""

    keep_history: bool = Field(True, description="Save chats so they are there next time.")
    persist_interval_ms: int = Field(
        250, ge=50, le=5000, description="How often a streaming answer is saved."
    )
    generate_titles: bool = Field(True, description="Let the model title a chat after its first exchange.")


class ToolOptions(UserOptions):
    """How answers call tools (MCP servers' and plugins')."""

    max_rounds: int = Field(
        8, ge=1, le=100, description="Rounds of tool calls one answer may make before it must answer."
    )
    call_timeout_seconds: float = Field(
        60.0, gt=0, le=3600, description="How long a tool may run before its call fails as timed out."
    )
    approval_timeout_seconds: float = Field(
        600.0, gt=0, description="How long a call waits for you to allow it before it is denied."
    )
    result_chars_for_model: int = Field(
        16_000, ge=256, description="Longer tool results are cut to this many characters for the model."
    )
    result_chars_kept: int = Field(
        1_000_000, ge=1_000, description="Longer tool results are cut to this many characters in the chat."
    )
    always_allowed: list[str] = Field(
        default_factory=list,
        description="Tools (<provider>_<tool>) that run without asking: 'Always' when a call is asked.",
    )


class DownloadOptions(UserOptions):
    """How pulls and imports treat the disk and the network."""

    free_space_margin_mb: int = Field(
        256,
        ge=0,
        description="Disk space (MB) a pull or import leaves free on the models folder's disk; "
        "one that would leave less is refused before it starts.",
    )
    timeout_s: float = Field(
        30.0,
        ge=1,
        le=3600,
        description="A download gives up when the server sends nothing for this many seconds.",
    )


class ModelLoadOptions(UserOptions):
    """One model's own load options. A list of these, not a dict by reference: a reference has
    dots (`hf.co/...`), which a dotted settings key would split."""

    model: str = Field(min_length=1, description="The model's reference.")
    options: LoadOptions = Field(description="How it loads when nobody says otherwise.")


class AppConfig(UserOptions):
    """The core's settings. Saved as JSON in the config folder, beside each plugin's own
    section (models/settings.py: `SettingsSection`)."""

    models_dir: Path | None = Field(
        None,
        description="Folder holding models (Ollama layout). Empty uses the app's data folder; "
        "point it at ~/.ollama/models to share Ollama's models.",
    )
    theme: Theme = Field(Theme.DARK, description="Colour theme of the window.")
    language: Language = Field(
        Language.EN, description="Language of the window; it changes at once, no restart needed."
    )
    load: LoadOptions = Field(default_factory=LoadOptions, description="Defaults for loading a model.")
    model_load: list[ModelLoadOptions] = Field(
        default_factory=list,
        description="Load options of single models (by reference, as `llamadesk list` names them): "
        "used instead of the defaults above whenever that model loads without options of its own.",
    )
    sampling: SamplingParams = Field(
        default_factory=SamplingParams, description="Defaults for generating text."
    )
    idle_unload_minutes: int | None = Field(
        None, ge=1, description="Unload a model nobody used for this long; empty keeps it loaded."
    )
    http_proxy: str | None = Field(
        None, description="Proxy for downloads, like http://host:3128; empty uses HTTP(S)_PROXY."
    )
    chat: ChatHistoryOptions = Field(default_factory=ChatHistoryOptions, description="Chat history options.")
    tools: ToolOptions = Field(default_factory=ToolOptions, description="Tools answers may call.")
    downloads: DownloadOptions = Field(
        default_factory=DownloadOptions, description="Disk space and network limits of pulls and imports."
    )
    disabled_plugins: list[str] = Field(default_factory=list, description="Plugins not to load, by name.")
