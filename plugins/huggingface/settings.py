"""The Hugging Face plugin's settings (`config set huggingface.endpoint URL`)."""

from __future__ import annotations

from pydantic import Field

from llamadesk.core.models.base import UserOptions
from llamadesk.core.models.settings import SettingsSection


class HubSettings(UserOptions):
    endpoint: str | None = Field(
        None,
        pattern=r"^https?://",
        description="Hugging Face endpoint or mirror, like https://hf-mirror.com; empty uses HF_ENDPOINT, "
        "else huggingface.co.",
    )


SECTION = SettingsSection(
    namespace="huggingface",
    model=HubSettings,
    title="Hugging Face",
    description="Where models are searched and pulled from with hf.co/ references.",
    moved_keys={"hf_endpoint": "endpoint"},
)
