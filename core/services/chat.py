"""`ChatService` (`app.chat`): sessions, branches, answers streamed from the runtime and saved as they grow.

The service owns no SQL: the store comes from the `get_chat_store` hook. It
owns no model either: answers come from a `generate` function with the
runtime's signature (`app.runtime.generate` in the app, a plain function in
tests). Everything a front end does with chats goes through the `chat.*`
commands, which are thin wrappers over the public methods here.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel

from ..commands.context import CancelToken, EventSink
from ..errors import AlreadyExists, InvalidParams, NotFound, Unavailable
from ..interfaces.chat_store import ChatStore
from ..models.chat import ChatTurn, MessageState, Role
from ..models.chat_history import (
    DEFAULT_TITLE,
    ChatEditResult,
    ChatMessage,
    ChatPreset,
    ChatReply,
    ChatSession,
    ChatStartedEvent,
    ChatTitleEvent,
    ChatTranscript,
    PresetSpec,
    SearchPage,
    SearchQuery,
    SessionPage,
)
from ..models.commands import TokenEvent
from ..models.llama import GenerateRequest, GenerationResult, SamplingParams, StopReason
from .chat_export import parse_export, to_json, to_markdown, with_new_ids
from .chat_presets import BUILTIN_NAMES, BUILTIN_PRESETS
from .chat_prompt import TokenCounter, answer_reserve, estimate_tokens, fit_context
from .chat_title import clean_title, title_request
from .chat_writer import StreamingWriter
from .config import ConfigService

log = logging.getLogger(__name__)

GenerateFn = Callable[[GenerateRequest, EventSink | None, CancelToken | None], GenerationResult]
ContextSizeFn = Callable[[str], int]

# Save a streaming answer after this many tokens even if the interval has not passed.
PERSIST_MAX_TOKENS = 64


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid.uuid4().hex


class ChatService:
    def __init__(
        self,
        store: ChatStore,
        config: ConfigService,
        generate: GenerateFn | None = None,
        *,
        context_size: ContextSizeFn | None = None,
        count_tokens: TokenCounter = estimate_tokens,
    ) -> None:
        self.store = store
        self._config = config
        self._generate = generate
        self._context_size = context_size or (lambda _model: self._config.config.load.context_size)
        self._count_tokens = count_tokens
        self._running: dict[str, CancelToken] = {}
        self._running_lock = threading.Lock()

    @property
    def notices(self) -> list[str]:
        return self.store.notices

    def close(self) -> None:
        with self._running_lock:
            tokens = list(self._running.values())
        for token in tokens:
            token.cancel()
        self.store.close()

    # -- sessions

    def new_session(
        self,
        *,
        title: str | None = None,
        model: str | None = None,
        system_prompt: str | None = None,
        preset: str | None = None,
    ) -> ChatSession:
        """A new, empty session. A preset supplies the system prompt unless one is given."""
        chosen = self.get_preset(preset) if preset else None
        now = _now()
        session = ChatSession(
            id=_new_id(),
            title=title or DEFAULT_TITLE,
            created_at=now,
            updated_at=now,
            model=model,
            system_prompt=system_prompt
            if system_prompt is not None
            else (chosen.system_prompt if chosen else ""),
            preset=preset,
        )
        self.store.save_session(session)
        return session

    def get_session(self, session_id: str) -> ChatSession:
        session = self.store.get_session(session_id)
        if session is None:
            raise NotFound(f"no chat {session_id!r}; see `llamadesk chats`")
        return session

    def list_sessions(
        self, *, offset: int = 0, limit: int = 50, include_archived: bool = False
    ) -> SessionPage:
        return self.store.list_sessions(offset=offset, limit=limit, include_archived=include_archived)

    def update_session(self, session_id: str, **changes: object) -> ChatSession:
        """Change title, model, system_prompt, preset, pinned or archived (None leaves a field as is)."""
        allowed = {"title", "model", "system_prompt", "preset", "pinned", "archived"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidParams(f"cannot change {', '.join(sorted(unknown))} of a chat")
        updates = {k: v for k, v in changes.items() if v is not None}
        if "preset" in updates:
            self.get_preset(str(updates["preset"]))
        session = self.get_session(session_id)
        changed = ChatSession.model_validate({**session.model_dump(), **updates, "updated_at": _now()})
        self.store.save_session(changed)
        return changed

    def delete_session(self, session_id: str) -> None:
        self.stop(session_id)
        if not self.store.delete_session(session_id):
            raise NotFound(f"no chat {session_id!r}")

    def transcript(
        self, session_id: str, *, limit: int | None = None, before_id: str | None = None
    ) -> ChatTranscript:
        """The session with its active branch (the newest `limit` messages; those before
        `before_id` to page back), and the siblings of each message shown."""
        session = self.get_session(session_id)
        leaf = session.active_leaf_id
        if before_id is not None:
            leaf = self._message_in(session_id, before_id).parent_id
        if leaf is None:
            return ChatTranscript(session=session, messages=[])
        messages, siblings, total = self.store.get_active_branch(session_id, leaf, limit)
        # Built from records the store made: validating 5,000 messages again would cost ~50 ms.
        return ChatTranscript.model_construct(
            session=session, messages=messages, siblings=siblings, total=total
        )

    def switch_branch(self, session_id: str, message_id: str) -> ChatTranscript:
        """Show the branch through `message_id`, down to its newest leaf."""
        message = self._message_in(session_id, message_id)
        self.store.set_active_leaf(session_id, self.store.newest_leaf(message.id))
        return self.transcript(session_id)

    def search(self, query: SearchQuery) -> SearchPage:
        return self.store.search(query)

    # -- answers

    def send(
        self,
        session_id: str,
        content: str,
        *,
        model: str | None = None,
        sampling: SamplingParams | None = None,
        on_event: EventSink | None = None,
        token: CancelToken | None = None,
    ) -> ChatReply:
        """Append a user message to the active branch and stream the answer to it."""
        session = self.get_session(session_id)
        if not content.strip():
            raise InvalidParams("the message is empty")
        user = ChatMessage(
            id=_new_id(),
            session_id=session.id,
            parent_id=session.active_leaf_id,
            role=Role.USER,
            content=content,
            created_at=_now(),
        )
        return self._reply(session, user, model=model, sampling=sampling, on_event=on_event, token=token)

    def regenerate(
        self,
        session_id: str,
        message_id: str | None = None,
        *,
        model: str | None = None,
        sampling: SamplingParams | None = None,
        on_event: EventSink | None = None,
        token: CancelToken | None = None,
    ) -> ChatReply:
        """A new answer beside an assistant message (default: the last one of the active branch).

        Given a user message (e.g. one whose answer failed), answers it again.
        """
        session = self.get_session(session_id)
        target_id = message_id or session.active_leaf_id
        if target_id is None:
            raise InvalidParams("this chat has no message to regenerate")
        target = self._message_in(session_id, target_id)
        if target.role is Role.ASSISTANT:
            if target.parent_id is None:
                raise InvalidParams("this answer has no question to answer again")
            question = self._message_in(session_id, target.parent_id)
        elif target.role is Role.USER:
            question = target
        else:
            raise InvalidParams("a system message cannot be regenerated")
        return self._answer(session, question, model=model, sampling=sampling, on_event=on_event, token=token)

    def edit(
        self,
        session_id: str,
        message_id: str,
        content: str,
        *,
        generate: bool = True,
        model: str | None = None,
        sampling: SamplingParams | None = None,
        on_event: EventSink | None = None,
        token: CancelToken | None = None,
    ) -> ChatEditResult:
        """A new branch: `content` beside `message_id`. A user edit is answered unless `generate` is off."""
        session = self.get_session(session_id)
        original = self._message_in(session_id, message_id)
        if not content.strip():
            raise InvalidParams("the message is empty")
        edited = ChatMessage(
            id=_new_id(),
            session_id=session.id,
            parent_id=original.parent_id,
            role=original.role,
            content=content,
            model=original.model,
            created_at=_now(),
        )
        if original.role is Role.USER and generate:
            reply = self._reply(
                session, edited, model=model, sampling=sampling, on_event=on_event, token=token
            )
            return ChatEditResult(edited=edited, reply=reply)
        self.store.save_message(edited, make_active=True)
        return ChatEditResult(edited=edited)

    def stop(self, session_id: str) -> bool:
        """Stop the answer being written in a session; the text so far is kept. False if none was."""
        with self._running_lock:
            token = self._running.get(session_id)
        if token is None:
            return False
        token.cancel()
        return True

    def is_generating(self, session_id: str) -> bool:
        with self._running_lock:
            return session_id in self._running

    def generate_title(self, session_id: str, *, token: CancelToken | None = None) -> ChatSession:
        """Ask the model for a short title from the first exchange and save it."""
        session = self.get_session(session_id)
        if session.active_leaf_id is None:
            raise InvalidParams("this chat has no messages to title")
        branch = self.store.get_branch(session.active_leaf_id)
        model = session.model or next((m.model for m in branch if m.model), None)
        if model is None:
            raise InvalidParams("this chat has no model to write a title; pick one first")
        result = self._generator()(title_request(model, branch), None, token)
        title = clean_title(result.content) or clean_title(branch[0].content) or DEFAULT_TITLE
        return self.update_session(session_id, title=title)

    # -- export and import

    def export(self, session_id: str, fmt: str) -> str:
        session = self.get_session(session_id)
        if fmt == "markdown":
            branch = self.store.get_branch(session.active_leaf_id) if session.active_leaf_id else []
            return to_markdown(session, branch)
        if fmt == "json":
            return to_json(session, self.store.get_tree(session_id))
        raise InvalidParams(f"unknown export format {fmt!r}; use markdown or json")

    def import_json(self, text: str) -> ChatSession:
        """Add a session from `chat.export` JSON; ids already in use are replaced by new ones."""
        document = parse_export(text)
        taken = self.store.get_session(document.session.id) is not None or any(
            self.store.get_message(m.id) is not None for m in document.messages
        )
        if taken:
            document = with_new_ids(document)
        self.store.import_session(document.session, document.messages)
        return self.get_session(document.session.id)

    # -- presets

    def presets(self) -> list[ChatPreset]:
        return [*BUILTIN_PRESETS, *self.store.list_presets()]

    def get_preset(self, name: str) -> ChatPreset:
        for preset in self.presets():
            if preset.name == name:
                return preset
        raise NotFound(f"no preset {name!r}; see `llamadesk call chat.presets`")

    def save_preset(self, spec: PresetSpec) -> ChatPreset:
        if spec.name in BUILTIN_NAMES:
            raise AlreadyExists(f"{spec.name!r} is a built-in preset; save yours under another name")
        preset = ChatPreset(**spec.model_dump())
        self.store.save_preset(preset)
        return preset

    def delete_preset(self, name: str) -> None:
        if name in BUILTIN_NAMES:
            raise InvalidParams(f"{name!r} is a built-in preset and cannot be deleted")
        if not self.store.delete_preset(name):
            raise NotFound(f"no preset {name!r}")

    # -- internals

    def _message_in(self, session_id: str, message_id: str) -> ChatMessage:
        message = self.store.get_message(message_id)
        if message is None or message.session_id != session_id:
            raise NotFound(f"no message {message_id!r} in chat {session_id!r}")
        return message

    def _generator(self) -> GenerateFn:
        if self._generate is None:
            raise Unavailable("no model runtime is available to write answers")
        return self._generate

    def _sampling_for(self, session: ChatSession, override: SamplingParams | None) -> SamplingParams:
        if override is not None:
            return override
        if session.preset:
            try:
                return self.get_preset(session.preset).sampling
            except NotFound:
                pass  # a deleted user preset: fall back to the app's defaults
        return self._config.config.sampling

    def _reply(
        self,
        session: ChatSession,
        user: ChatMessage,
        *,
        model: str | None,
        sampling: SamplingParams | None,
        on_event: EventSink | None,
        token: CancelToken | None,
    ) -> ChatReply:
        self._generator()  # fail before saving anything when no answer can come
        self._model_for(session, model)
        self.store.save_message(user, make_active=True)
        return self._answer(session, user, model=model, sampling=sampling, on_event=on_event, token=token)

    def _model_for(self, session: ChatSession, model: str | None) -> str:
        chosen = model or session.model
        if not chosen:
            raise InvalidParams("pick a model for this chat first (model param or chat.rename's model)")
        return chosen

    def _answer(
        self,
        session: ChatSession,
        question: ChatMessage,
        *,
        model: str | None,
        sampling: SamplingParams | None,
        on_event: EventSink | None,
        token: CancelToken | None,
    ) -> ChatReply:
        generate = self._generator()
        model_id = self._model_for(session, model)
        params = self._sampling_for(session, sampling)
        token = token or CancelToken()
        with self._running_lock:
            if session.id in self._running:
                raise Unavailable("an answer is already being written in this chat; stop it first")
            self._running[session.id] = token
        try:
            if model and model != session.model:
                session = self.update_session(session.id, model=model)
            branch = self.store.get_branch(question.id)
            context = self._context_size(model_id)
            budget = context - answer_reserve(context, params.max_tokens)
            turns = [ChatTurn(role=m.role, content=m.content) for m in branch]
            prompt, dropped = fit_context(session.system_prompt, turns, budget, self._count_tokens)

            answer = ChatMessage(
                id=_new_id(),
                session_id=session.id,
                parent_id=question.id,
                role=Role.ASSISTANT,
                model=model_id,
                state=MessageState.PARTIAL,
                created_at=_now(),
                sampling=params,
            )
            self.store.save_message(answer, make_active=True)
            _send(
                on_event,
                ChatStartedEvent(
                    session_id=session.id,
                    user_message_id=question.id,
                    message_id=answer.id,
                    dropped_turns=dropped,
                ),
            )
            result, final = self._stream(
                generate,
                GenerateRequest(model=model_id, messages=prompt, sampling=params),
                answer,
                on_event,
                token,
            )
        finally:
            with self._running_lock:
                self._running.pop(session.id, None)

        title = None
        if (
            final.state is MessageState.COMPLETE
            and result.stop_reason is not StopReason.CANCELLED
            and self._config.config.chat.generate_titles
            and session.title == DEFAULT_TITLE
            and len(branch) == 1
        ):
            title = self._auto_title(session.id, token)
            if title is not None:
                _send(on_event, ChatTitleEvent(session_id=session.id, title=title))
        return ChatReply(
            session_id=session.id,
            user_message=question,
            message=final,
            dropped_turns=dropped,
            stop_reason=result.stop_reason,
            title=title,
        )

    def _auto_title(self, session_id: str, token: CancelToken) -> str | None:
        """A title after the first exchange; failing to make one never fails the answer."""
        try:
            return self.generate_title(session_id, token=token).title
        except Exception:
            log.warning("could not title chat %s", session_id, exc_info=True)
            return None

    def _stream(
        self,
        generate: GenerateFn,
        request: GenerateRequest,
        answer: ChatMessage,
        on_event: EventSink | None,
        token: CancelToken,
    ) -> tuple[GenerationResult, ChatMessage]:
        writer = StreamingWriter(
            self.store.save_message,
            answer,
            interval_s=self._config.config.chat.persist_interval_ms / 1000,
            max_tokens=PERSIST_MAX_TOKENS,
        )

        def relay(event: BaseModel) -> None:
            if isinstance(event, TokenEvent):
                writer.append(event)
            _send(on_event, event)

        try:
            result = generate(request, relay, token)
        except BaseException as exc:
            content, reasoning = writer.text()
            failed = answer.model_copy(
                update={
                    "content": content,
                    "reasoning": reasoning,
                    "state": MessageState.ERROR,
                    "error": str(exc),
                }
            )
            writer.finish(failed)
            raise
        final = answer.model_copy(
            update={
                "content": result.content,
                "reasoning": result.reasoning,
                "state": MessageState.ERROR
                if result.stop_reason is StopReason.ERROR
                else MessageState.COMPLETE,
                "usage": result.usage,
                "stop_reason": result.stop_reason,
            }
        )
        writer.finish(final)
        return result, final


def _send(on_event: EventSink | None, event: BaseModel) -> None:
    if on_event is not None:
        on_event(event)
