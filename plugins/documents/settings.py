"""This plugin's settings (namespace `documents`): the embedding model, how much of a prompt
documents may take, and the limits on what is read."""

from __future__ import annotations

from pydantic import Field

from llamadesk.core.models.base import UserOptions
from llamadesk.core.models.settings import SettingsSection


class DocumentsSettings(UserOptions):
    embedding_model: str = Field(
        "starter",
        description="Model that turns passages into vectors, for search by meaning: a library model, a "
        "GGUF path, or starter. A dedicated embedding GGUF works best. Empty: search by keywords only. "
        "Changing it embeds every collection again.",
    )
    passages: int = Field(
        6, ge=1, le=50, description="Passages retrieved from a chat's collections for an answer, at most."
    )
    context_share: float = Field(
        0.5,
        ge=0.1,
        le=0.9,
        description="Share of the prompt that attached files and retrieved passages may take together.",
    )
    max_file_mb: int = Field(64, ge=1, description="Files larger than this are not read.")
    max_files: int = Field(
        200_000, ge=1, description="Files a collection indexes at most; it says so when a folder has more."
    )
    rescan_minutes: int = Field(
        10,
        ge=0,
        description="How often collections are checked for changed files; 0: only when asked "
        "(collections.index).",
    )
    exclude: list[str] = Field(
        default_factory=lambda: ["node_modules", "__pycache__", "venv", "site-packages"],
        description="Folder names never indexed; hidden files and folders are always left out.",
    )
    attachment_embed_chunks: int = Field(
        256,
        ge=0,
        description="An attached file split into more passages than this is searched by keywords only "
        "(embedding it would hold the answer up).",
    )


SECTION = SettingsSection(
    namespace="documents",
    model=DocumentsSettings,
    title="Documents",
    description="Attached files and collections: folders indexed for chats to search.",
)
