"""Params and small results of the chat.* commands (documented in docs/commands/chat.md)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .base import CommandParams, Record
from .chat_history import ChatPreset, Rating
from .llama import SamplingParams
from .tools import ToolChoice

SESSION_ID = Field(description="The chat's id (see chat.list).")


class NewChatParams(CommandParams):
    title: str | None = Field(
        None, max_length=200, description="Empty: 'New chat', titled after the first answer."
    )
    model: str | None = Field(None, description="Model id (GGUF path or `starter`) that answers.")
    system_prompt: str | None = Field(None, description="Empty: the preset's, or none.")
    preset: str | None = Field(None, description="Preset name (see chat.presets).")
    tools: list[str] = Field(
        default_factory=list, description="Tool providers or tools its answers may call (see tools.list)."
    )


class ListChatsParams(CommandParams):
    offset: int = Field(0, ge=0, description="Sessions to skip (paging).")
    limit: int = Field(50, ge=1, le=500, description="Sessions per page.")
    include_archived: bool = Field(False, description="List archived sessions too.")


class SessionParams(CommandParams):
    session_id: str = SESSION_ID


class GetChatParams(CommandParams):
    session_id: str = SESSION_ID
    limit: int | None = Field(None, ge=1, description="Only the newest messages of the branch; empty: all.")
    before_id: str | None = Field(None, description="Page back: the messages before this one.")


class RenameParams(CommandParams):
    session_id: str = SESSION_ID
    title: str = Field(min_length=1, max_length=200, description="The new title.")


class UpdateChatParams(CommandParams):
    session_id: str = SESSION_ID
    title: str | None = Field(None, min_length=1, max_length=200, description="New title.")
    model: str | None = Field(None, description="Model that answers from now on.")
    system_prompt: str | None = Field(None, description="New system prompt.")
    preset: str | None = Field(None, description="Preset whose sampling is used.")
    pinned: bool | None = Field(None, description="List it first.")
    archived: bool | None = Field(None, description="Hide it from the list.")
    tools: list[str] | None = Field(
        None, description="Tool providers or tools its answers may call (see tools.list); [] for none."
    )
    collections: list[str] | None = Field(
        None,
        description="Collections searched for every message it sends (see collections.list); [] for none.",
    )


class AnswerParams(CommandParams):
    """What every command that writes an answer takes about tools."""

    tools: list[str] | None = Field(
        None,
        description="Tool providers or tools this answer may call; empty uses the chat's. `@name` in "
        "the message adds a provider too.",
    )
    tool_choice: ToolChoice = Field("auto", description="auto, none, required, or {name} to force a call.")
    approve_all: bool = Field(
        False, description="Run every tool call without asking (scripts); otherwise each call is asked."
    )


class SendParams(AnswerParams):
    session_id: str | None = Field(None, description="The chat; empty starts a new one.")
    content: str = Field(min_length=1, description="What the user wrote.")
    files: list[str] = Field(
        default_factory=list,
        description="Files to attach (paths): each goes in whole when it fits, else its passages most "
        "relevant to the message. Kept with the message, so a regenerated answer sees the same text.",
    )
    collections: list[str] | None = Field(
        None,
        description="Collections to search for passages that answer the message; empty: the chat's own "
        "(chat.update), [] for none.",
    )
    model: str | None = Field(None, description="Answer with this model (and keep it for the chat).")
    sampling: SamplingParams | None = Field(None, description="Override the preset's or app's sampling.")


class RegenerateParams(AnswerParams):
    session_id: str = SESSION_ID
    message_id: str | None = Field(None, description="Answer to replace; empty: the last one shown.")
    model: str | None = Field(None, description="Answer with this model.")
    sampling: SamplingParams | None = Field(None, description="Override sampling for this answer.")


class EditParams(AnswerParams):
    session_id: str = SESSION_ID
    message_id: str = Field(description="The message edited; the edit becomes its sibling.")
    content: str = Field(min_length=1, description="The new text.")
    generate: bool = Field(True, description="Answer an edited user message.")
    model: str | None = Field(None, description="Answer with this model.")
    sampling: SamplingParams | None = Field(None, description="Override sampling for this answer.")


class SwitchBranchParams(CommandParams):
    session_id: str = SESSION_ID
    message_id: str = Field(description="A message of the branch to show (e.g. a sibling id).")


class RateParams(CommandParams):
    session_id: str = SESSION_ID
    message_id: str = Field(description="The answer rated.")
    rating: Rating | None = Field(description="up (like), down (dislike), or null to take it back.")


class StopResult(Record):
    stopped: bool = Field(description="An answer was being written and was stopped.")


class ExportFormat(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"


class ExportParams(CommandParams):
    session_id: str = SESSION_ID
    format: ExportFormat = Field(ExportFormat.MARKDOWN, description="markdown (active branch) or json (all).")
    path: str | None = Field(None, description="Also write it to this file.")


class ExportResult(Record):
    format: ExportFormat
    content: str
    path: str | None = None


class ImportParams(CommandParams):
    content: str | None = Field(None, description="JSON written by chat.export.")
    path: str | None = Field(None, description="Or a file holding it.")


class TitleParams(CommandParams):
    session_id: str = SESSION_ID
    title: str | None = Field(
        None, min_length=1, max_length=200, description="Set this; empty: ask the model."
    )


class PresetList(Record):
    presets: list[ChatPreset]


class PresetNameParams(CommandParams):
    name: str = Field(description="A user preset's name.")


class UnsavedParams(CommandParams):
    save: bool = Field(True, description="Try to save them into the chat store first.")
    export_to: str | None = Field(
        None, description="Also write them to this file as JSON (on another disk, say), whatever is saved."
    )
