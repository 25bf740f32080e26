"""`ChatService` (`app.chat`): answers streamed from the runtime and saved as they grow, on top of
`ChatSessions` (chat_sessions.py: the saved chats, branches, search, export).

The service owns no SQL: the store comes from the `get_chat_store` hook. It
owns no model either: answers come from a `generate` function with the
runtime's signature (`app.runtime.generate` in the app, a plain function in
tests). Everything a front end does with chats goes through the `chat.*`
commands, which are thin wrappers over the public methods here.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..disk_space import translated_disk_errors
from ..errors import N_, InvalidParams, NotFound, Unavailable
from ..interfaces.chat_store import ChatStore
from ..interfaces.document_index import DocumentIndex
from ..models.chat import MessageState, Role
from ..models.chat_history import (
    DEFAULT_TITLE,
    ChatAnsweredEvent,
    ChatEditResult,
    ChatMessage,
    ChatReply,
    ChatSession,
    ChatTitleEvent,
    UnsavedMessages,
)
from ..models.documents import Attachment, Source
from ..models.llama import SamplingParams, StopReason
from ..streaming import CancelToken, EventSink
from .chat_answers import (
    PERSIST_MAX_TOKENS,
    AnswerStreamer,
    GenerateFn,
    ModelTokenCounter,
    PrepareModelFn,
    ToolUse,
)
from .chat_prompt import TokenCounter, answer_reserve, estimate_tokens, template_reserve
from .chat_sessions import ChatSessions, new_id, utc_now
from .chat_title import clean_title, title_request
from .chat_tool_use import ToolRequest, tool_use_for
from .chat_unsaved import UnsavedQueue
from .config import ConfigService
from .tools import ToolService

log = logging.getLogger(__name__)

# How long deleting a chat waits for its answer to stop (the runtime stops within 100 ms).
STOP_WAIT_S = 5.0

__all__ = ["PERSIST_MAX_TOKENS", "ChatService", "GenerateFn", "PrepareModelFn", "ToolRequest"]


class ChatService(ChatSessions):
    def __init__(
        self,
        store: ChatStore,
        config: ConfigService,
        generate: GenerateFn | None = None,
        *,
        prepare_model: PrepareModelFn | None = None,
        count_tokens: TokenCounter = estimate_tokens,
        count_model_tokens: ModelTokenCounter | None = None,
        tools: ToolService | None = None,
        documents: DocumentIndex | None = None,
    ) -> None:
        super().__init__(store)
        self._tools = tools
        self._documents = documents
        self._config = config
        self.unsaved = UnsavedQueue(lambda message, active: store.save_message(message, make_active=active))
        self._prepare_model = prepare_model or (
            lambda _model, _load, _on_event: config.config.load.context_size
        )
        self._answers = AnswerStreamer(
            store,
            config,
            generate,
            prepare_model=self._prepare_model,
            count_tokens=count_tokens,
            count_model_tokens=count_model_tokens,
            unsaved=self.unsaved,
        )

    @property
    def notices(self) -> list[str]:
        return self.store.notices

    def close(self) -> None:
        self._answers.stop_all()
        self.unsaved.close()  # a last try; what the store still refuses goes to a temporary file
        self.store.close()

    def unsaved_messages(self, *, save: bool = True, export_to: Path | None = None) -> UnsavedMessages:
        """Messages kept in memory because the store refused them: saved now if it can, and
        written to `export_to` when asked (JSON)."""
        if save:
            self.unsaved.flush()
        if export_to is None:
            return self.unsaved.snapshot()
        with translated_disk_errors(export_to.parent, f"writing {export_to}"):
            self.unsaved.export(export_to)
        return self.unsaved.snapshot().model_copy(update={"exported_to": str(export_to)})

    # -- sessions

    def delete_session(self, session_id: str) -> None:
        # An answer still being written would save itself into the deleted chat: stop it first.
        if self.stop(session_id):
            self._answers.wait_ended(session_id, timeout_s=STOP_WAIT_S)
        if not self.store.delete_session(session_id):
            raise NotFound(N_("no chat {session_id!r}"), session_id=session_id)

    # -- answers

    def send(
        self,
        session_id: str,
        content: str,
        *,
        model: str | None = None,
        sampling: SamplingParams | None = None,
        tools: ToolRequest | None = None,
        files: list[str] | None = None,
        collections: list[str] | None = None,
        on_event: EventSink | None = None,
        token: CancelToken | None = None,
    ) -> ChatReply:
        """Append a user message to the active branch and stream the answer to it. `files` are
        attached to it and `collections` (None: the chat's own) searched for it (chat_documents.py)."""
        session = self.get_session(session_id)
        if not content.strip():
            raise InvalidParams(N_("the message is empty"))
        token = token or CancelToken()
        attachments, sources = self._documents_for(
            session,
            content,
            model,
            sampling,
            files or [],
            session.collections if collections is None else collections,
            on_event,
            token,
        )
        user = ChatMessage(
            id=new_id(),
            session_id=session.id,
            parent_id=session.active_leaf_id,
            role=Role.USER,
            content=content,
            created_at=utc_now(),
            attachments=attachments,
            sources=sources,
        )
        return self._reply(
            session, user, model=model, sampling=sampling, tools=tools, on_event=on_event, token=token
        )

    def regenerate(
        self,
        session_id: str,
        message_id: str | None = None,
        *,
        model: str | None = None,
        sampling: SamplingParams | None = None,
        tools: ToolRequest | None = None,
        on_event: EventSink | None = None,
        token: CancelToken | None = None,
    ) -> ChatReply:
        """A new answer beside an assistant message (default: the last one of the active branch).

        Given a user message (e.g. one whose answer failed), answers it again.
        """
        session = self.get_session(session_id)
        target_id = message_id or session.active_leaf_id
        if target_id is None:
            raise InvalidParams(N_("this chat has no message to regenerate"))
        target = self._message_in(session_id, target_id)
        if target.role is Role.ASSISTANT:
            if target.parent_id is None:
                raise InvalidParams(N_("this answer has no question to answer again"))
            question = self._message_in(session_id, target.parent_id)
        elif target.role in (Role.USER, Role.TOOL):
            question = target  # a tool result is answered again too
        else:
            raise InvalidParams(N_("a system message cannot be regenerated"))
        return self._answer(
            session, question, model=model, sampling=sampling, tools=tools, on_event=on_event, token=token
        )

    def edit(
        self,
        session_id: str,
        message_id: str,
        content: str,
        *,
        generate: bool = True,
        model: str | None = None,
        sampling: SamplingParams | None = None,
        tools: ToolRequest | None = None,
        on_event: EventSink | None = None,
        token: CancelToken | None = None,
    ) -> ChatEditResult:
        """A new branch: `content` beside `message_id`. A user edit is answered unless `generate` is off."""
        session = self.get_session(session_id)
        original = self._message_in(session_id, message_id)
        if not content.strip():
            raise InvalidParams(N_("the message is empty"))
        edited = ChatMessage(
            id=new_id(),
            session_id=session.id,
            parent_id=original.parent_id,
            role=original.role,
            content=content,
            model=original.model,
            created_at=utc_now(),
            # The files stay attached, and the passages sent stay with it, as the user saw them.
            attachments=original.attachments,
            sources=original.sources,
        )
        if original.role is Role.USER and generate:
            reply = self._reply(
                session, edited, model=model, sampling=sampling, tools=tools, on_event=on_event, token=token
            )
            return ChatEditResult(edited=edited, reply=reply)
        self.store.save_message(edited, make_active=True)
        return ChatEditResult(edited=edited)

    def stop(self, session_id: str) -> bool:
        """Stop the answer being written in a session; the text so far is kept. False if none was."""
        return self._answers.stop(session_id)

    def is_generating(self, session_id: str) -> bool:
        return self._answers.is_generating(session_id)

    def generate_title(self, session_id: str, *, token: CancelToken | None = None) -> ChatSession:
        """Ask the model for a short title from the first exchange and save it."""
        session = self.get_session(session_id)
        if session.active_leaf_id is None:
            raise InvalidParams(N_("this chat has no messages to title"))
        branch = self.store.get_branch(session.active_leaf_id)
        model = session.model or next((m.model for m in branch if m.model), None)
        if model is None:
            raise InvalidParams(N_("this chat has no model to write a title; pick one first"))
        result = self._answers.generator()(title_request(model, branch), None, token)
        title = clean_title(result.content) or clean_title(branch[0].content) or DEFAULT_TITLE
        return self.update_session(session_id, title=title)

    # -- export and import

    # -- internals

    def _documents_for(
        self,
        session: ChatSession,
        question: str,
        model: str | None,
        sampling: SamplingParams | None,
        files: list[str],
        collections: list[str],
        on_event: EventSink | None,
        token: CancelToken,
    ) -> tuple[list[Attachment], list[Source]]:
        """The files and passages that go with a message, within the model's prompt budget
        (the model is loaded first: its context size is the budget)."""
        if not files and not collections:
            return [], []
        if self._documents is None:
            raise Unavailable(N_("attaching files and searching collections need the documents plugin"))
        model_id = self._answers.model_for(session, model)
        preset = self.presets.of(session)
        context = self._prepare_model(model_id, preset.load if preset is not None else None, on_event)
        max_tokens = self._sampling_for(session, sampling).max_tokens
        budget = context - answer_reserve(context, max_tokens) - template_reserve(context)
        return self._documents.gather(files, collections, question, budget, on_event, token)

    def _sampling_for(self, session: ChatSession, override: SamplingParams | None) -> SamplingParams:
        if override is not None:
            return override
        preset = self.presets.of(session)
        return preset.sampling if preset is not None else self._config.config.sampling

    def _reply(
        self,
        session: ChatSession,
        user: ChatMessage,
        *,
        model: str | None,
        sampling: SamplingParams | None,
        tools: ToolRequest | None,
        on_event: EventSink | None,
        token: CancelToken | None,
    ) -> ChatReply:
        self._answers.generator()  # fail before saving anything when no answer can come
        self._answers.model_for(session, model)
        self._tool_use(session, user, tools)  # a bad tool request fails before anything is saved
        self.store.save_message(user, make_active=True)
        return self._answer(
            session, user, model=model, sampling=sampling, tools=tools, on_event=on_event, token=token
        )

    def _answer(
        self,
        session: ChatSession,
        question: ChatMessage,
        *,
        model: str | None,
        sampling: SamplingParams | None,
        tools: ToolRequest | None,
        on_event: EventSink | None,
        token: CancelToken | None,
    ) -> ChatReply:
        model_id = self._answers.model_for(session, model)
        tool_use = self._tool_use(session, question, tools)
        params = self._sampling_for(session, sampling)
        preset = self.presets.of(session)
        load = preset.load if preset is not None else None
        token = token or CancelToken()
        if model and model != session.model:
            session = self.update_session(session.id, model=model)
        written = self._answers.write(session, question, model_id, params, load, on_event, token, tool_use)
        result, final = written.result, written.final
        if on_event is not None:
            on_event(ChatAnsweredEvent(session_id=session.id, message_id=final.id))
        title = None
        if (
            written.first_exchange
            and written.unsaved is None
            and final.state is MessageState.COMPLETE
            and result.stop_reason is not StopReason.CANCELLED
            and self._config.config.chat.generate_titles
            and session.title == DEFAULT_TITLE
        ):
            title = self._auto_title(session.id, token)
            if title is not None and on_event is not None:
                on_event(ChatTitleEvent(session_id=session.id, title=title))
        return ChatReply(
            session_id=session.id,
            user_message=question,
            message=final,
            steps=written.steps,
            dropped_turns=written.dropped,
            stop_reason=result.stop_reason,
            title=title,
            saved=written.unsaved is None,
            unsaved_reason=written.unsaved,
        )

    def _auto_title(self, session_id: str, token: CancelToken) -> str | None:
        """A title after the first exchange; failing to make one never fails the answer."""
        try:
            return self.generate_title(session_id, token=token).title
        except Exception:
            log.warning("could not title chat %s", session_id, exc_info=True)
            return None

    def _tool_use(
        self, session: ChatSession, question: ChatMessage, request: ToolRequest | None
    ) -> ToolUse | None:
        return tool_use_for(self._tools, self._config.config.tools.max_rounds, session, question, request)
