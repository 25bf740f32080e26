"""Chat sessions, their message trees, presets and search results, as service and store exchange them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from .base import CommandParams, Record
from .chat import MessageState, Role
from .documents import Attachment, Source
from .llama import LoadOptions, SamplingParams, StopReason, Usage
from .tools import ToolCall, ToolResult

DEFAULT_TITLE = "New chat"

Rating = Literal["up", "down"]


class ChatSession(Record):
    """A conversation. Its messages form a tree; `active_leaf_id` picks the branch shown."""

    id: str
    title: str = Field(DEFAULT_TITLE, description="Shown in the sidebar.")
    created_at: datetime
    updated_at: datetime = Field(description="Last time a message was added or the session changed.")
    model: str | None = Field(None, description="Model id (GGUF path or `starter`) answers come from.")
    system_prompt: str = Field("", description="Sent first in every prompt; never dropped by truncation.")
    preset: str | None = Field(None, description="Name of the preset whose sampling this session uses.")
    pinned: bool = Field(False, description="Listed before the others.")
    archived: bool = Field(False, description="Hidden from the list unless asked for.")
    active_leaf_id: str | None = Field(None, description="Last message of the branch being shown.")
    tools: list[str] = Field(
        default_factory=list,
        description="Tools its answers may call: tool providers (an MCP server's name, a plugin's) "
        "or single tools (<provider>_<tool>).",
    )
    collections: list[str] = Field(
        default_factory=list,
        description="Document collections searched for every message it sends (see collections.list).",
    )


class ChatMessage(Record):
    """A message in a session's tree; `parent_id` links the branches (None for the first turn)."""

    id: str
    session_id: str
    parent_id: str | None = None
    role: Role
    content: str = ""
    reasoning: str = Field("", description="The model's thinking, kept apart from the answer.")
    model: str | None = None
    state: MessageState = MessageState.COMPLETE
    created_at: datetime
    sampling: SamplingParams | None = Field(None, description="How an answer was sampled.")
    usage: Usage | None = Field(None, description="Token counts and timings of an answer.")
    stop_reason: StopReason | None = None
    error: str | None = Field(None, description="Why generation failed, for state `error`.")
    tool_calls: list[ToolCall] = Field(
        default_factory=list, description="Tools an answer called; their results follow as `tool` messages."
    )
    tool_result: ToolResult | None = Field(None, description="For a `tool` message: the call it answers.")
    rating: Rating | None = Field(None, description="The user's like (up) or dislike (down) of an answer.")
    attachments: list[Attachment] = Field(
        default_factory=list, description="A user message's files: what of each the model saw."
    )
    sources: list[Source] = Field(
        default_factory=list,
        description="Passages of collections retrieved for a user message (what the model saw), and "
        "on its answer the same list: what the answer may cite as [n].",
    )


class ChatTranscript(Record):
    """A session and its active branch, root first.

    `siblings` lists, for each message shown that has siblings (other edits or
    regenerations beside it), every sibling's id oldest first, itself included:
    a client shows "2 / 3" and calls chat.switch_branch with a sibling's id.
    """

    session: ChatSession
    messages: list[ChatMessage]
    siblings: dict[str, list[str]] = Field(default_factory=dict)
    total: int = Field(0, description="Messages on the whole branch; more than `messages` when paged.")


class SessionPage(Record):
    sessions: list[ChatSession]
    total: int = Field(description="Sessions matching the filter, over all pages.")
    offset: int
    limit: int


class SearchHit(Record):
    message_id: str
    session_id: str
    session_title: str
    role: Role
    snippet: str = Field(description="Text around the match; matches wrapped in the highlight markers.")
    created_at: datetime
    score: float = Field(description="bm25 relevance; lower is better.")


class SearchPage(Record):
    query: str
    hits: list[SearchHit]
    offset: int
    limit: int
    has_more: bool
    window: int | None = Field(
        None,
        description="When set, the query matched more messages than this and only the newest "
        "`window` matches were ranked (search stays fast for words in most messages).",
    )


class SearchMode(StrEnum):
    WORDS = "words"  # every word must occur, anywhere in the message
    PHRASE = "phrase"  # the words in this order, next to each other
    PREFIX = "prefix"  # as typed: like words, the last one may be unfinished


class SearchQuery(CommandParams):
    text: str = Field(min_length=1, max_length=500, description="What to look for.")
    mode: SearchMode = Field(SearchMode.WORDS, description="words, phrase, or prefix (search as you type).")
    offset: int = Field(0, ge=0, description="Hits to skip (paging).")
    limit: int = Field(20, ge=1, le=200, description="Hits per page.")
    session_id: str | None = Field(None, description="Search only this session.")
    highlight: tuple[str, str] = Field(("<mark>", "</mark>"), description="Put around each match.")


class ChatPreset(Record):
    """A named system prompt with sampling and load options."""

    name: str = Field(description="Unique name, e.g. precise.")
    description: str = ""
    system_prompt: str = ""
    sampling: SamplingParams = Field(default_factory=SamplingParams)
    load: LoadOptions | None = Field(None, description="Load options; empty keeps the app's defaults.")
    builtin: bool = Field(False, description="Shipped with the app; cannot be changed or deleted.")


class PresetSpec(CommandParams):
    """A preset as a user types it (see `chat.preset_save`)."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[\w][\w .-]*$", description="Unique name.")
    description: str = Field("", max_length=500, description="One line on what it is for.")
    system_prompt: str = Field("", description="System prompt for sessions made with it.")
    sampling: SamplingParams = Field(default_factory=SamplingParams, description="How answers are sampled.")
    load: LoadOptions | None = Field(None, description="Load options; empty keeps the app's defaults.")


EXPORT_FORMAT = "llamadesk.chat"


class ChatExport(Record):
    """A session with every message of its tree: what `chat.export` writes as JSON and `chat.import` reads."""

    format: Literal["llamadesk.chat"] = "llamadesk.chat"
    version: int = 1
    session: ChatSession
    messages: list[ChatMessage] = Field(description="Every message of the tree, parents before children.")


class ChatStartedEvent(Record):
    """First event of chat.send / regenerate / edit: the ids the answer will have."""

    kind: Literal["chat.started"] = "chat.started"
    session_id: str
    user_message_id: str | None = Field(description="The user message answered.")
    message_id: str = Field(description="The assistant message being written.")
    dropped_turns: int = Field(
        0, description="Oldest messages left out of the prompt because the context is full."
    )
    step: int = Field(0, description="0 for the answer; 1, 2... for the answers after tool results.")


class ChatAnsweredEvent(Record):
    """The answer is written and stored; what follows in the stream is the chat's title, when
    one is being generated. A front end gives the chat back to the user here."""

    kind: Literal["chat.answered"] = "chat.answered"
    session_id: str
    message_id: str


class ChatTitleEvent(Record):
    """The session got a title generated by the model."""

    kind: Literal["chat.title"] = "chat.title"
    session_id: str
    title: str


class ChatUnsavedEvent(Record):
    """The answer being written could not be saved (the disk is full): it is kept in memory."""

    kind: Literal["chat.unsaved"] = "chat.unsaved"
    session_id: str
    message_id: str
    reason: str = Field(description="Why the store refused it, in one line.")


class ChatReply(Record):
    """What chat.send / regenerate / edit return once the answer is complete or stopped."""

    session_id: str
    user_message: ChatMessage | None = Field(description="The user message answered.")
    message: ChatMessage = Field(
        description="The answer, as saved (or as kept in memory, see `saved`); the last one, after any "
        "tool calls."
    )
    steps: list[ChatMessage] = Field(
        default_factory=list,
        description="Before the answer, in order: the answers that called tools and the tools' results.",
    )
    dropped_turns: int = Field(0, description="Oldest messages left out of the prompt.")
    stop_reason: StopReason
    title: str | None = Field(None, description="The session's title when it was generated just now.")
    saved: bool = Field(
        True,
        description="False when the chat store refused the answer (a full disk): it is kept in memory, "
        "saved as soon as the store takes it, and listed by chat.unsaved.",
    )
    unsaved_reason: str | None = Field(None, description="Why it could not be saved, when it was not.")


class UnsavedMessages(Record):
    """Messages kept in memory because the chat store refused them (chat.unsaved)."""

    messages: list[ChatMessage] = Field(description="In the order they will be saved.")
    reason: str | None = Field(None, description="The store's last refusal, in one line.")
    exported_to: str | None = Field(None, description="The file they were written to, when asked.")


class ChatEditResult(Record):
    """What chat.edit returns: the new sibling, and the answer to it when one was generated."""

    edited: ChatMessage
    reply: ChatReply | None = None
