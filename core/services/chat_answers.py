"""Writing one answer: the prompt from the branch, the stream from the generator, saved as it grows."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel

from ..errors import InvalidParams, Unavailable
from ..interfaces.chat_store import ChatStore
from ..models.chat import ChatTurn, MessageState, Role
from ..models.chat_history import ChatMessage, ChatSession, ChatStartedEvent, ChatUnsavedEvent
from ..models.commands import TokenEvent
from ..models.llama import GenerateRequest, GenerationResult, LoadOptions, SamplingParams, StopReason
from ..streaming import CancelToken, EventSink
from .chat_prompt import TokenCounter, answer_reserve, fit_context, template_reserve
from .chat_unsaved import UnsavedQueue
from .chat_writer import StreamingWriter
from .config import ConfigService

GenerateFn = Callable[[GenerateRequest, EventSink | None, CancelToken | None], GenerationResult]
# Make a model ready to answer (loading it if needed, with these options when given; events to
# the caller); returns its context size.
PrepareModelFn = Callable[[str, LoadOptions | None, EventSink | None], int]
# Count texts with a loaded model's own tokenizer; None when that model cannot.
ModelTokenCounter = Callable[[str, list[str]], list[int] | None]

# Save a streaming answer after this many tokens even if the interval has not passed.
PERSIST_MAX_TOKENS = 64


class AnswerStreamer:
    """Streams answers from `generate` into the store, one at a time per session."""

    def __init__(
        self,
        store: ChatStore,
        config: ConfigService,
        generate: GenerateFn | None,
        *,
        prepare_model: PrepareModelFn,
        count_tokens: TokenCounter,
        count_model_tokens: ModelTokenCounter | None = None,
        unsaved: UnsavedQueue | None = None,
    ) -> None:
        self._store = store
        # Answers go through it: one the store refuses (a full disk) is kept in memory.
        self._unsaved = unsaved or UnsavedQueue(lambda m, active: store.save_message(m, make_active=active))
        self._config = config
        self._generate = generate
        self._prepare_model = prepare_model
        self._count_tokens = count_tokens
        self._count_model_tokens = count_model_tokens
        self._running: dict[str, CancelToken] = {}
        self._lock = threading.Lock()
        self._ended = threading.Condition(self._lock)

    def generator(self) -> GenerateFn:
        if self._generate is None:
            raise Unavailable("no model runtime is available to write answers")
        return self._generate

    @staticmethod
    def model_for(session: ChatSession, model: str | None) -> str:
        chosen = model or session.model
        if not chosen:
            raise InvalidParams("pick a model for this chat first (the model param, or chat.update)")
        return chosen

    def stop(self, session_id: str) -> bool:
        with self._lock:
            token = self._running.get(session_id)
        if token is None:
            return False
        token.cancel()
        return True

    def stop_all(self) -> None:
        with self._lock:
            tokens = list(self._running.values())
        for token in tokens:
            token.cancel()

    def is_generating(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._running

    def wait_ended(self, session_id: str, timeout_s: float) -> bool:
        """Wait until no answer is being written in the session; False on timeout."""
        with self._ended:
            return self._ended.wait_for(lambda: session_id not in self._running, timeout_s)

    def write(
        self,
        session: ChatSession,
        question: ChatMessage,
        model: str,
        sampling: SamplingParams,
        load: LoadOptions | None,
        on_event: EventSink | None,
        token: CancelToken,
    ) -> tuple[GenerationResult, ChatMessage, int, bool, str | None]:
        """Answer `question`; returns (result, answer, dropped turns, first exchange?, and why the
        answer is only in memory when the store refused it)."""
        generate = self.generator()
        with self._lock:
            if session.id in self._running:
                raise Unavailable("an answer is already being written in this chat; stop it first")
            self._running[session.id] = token
        try:
            branch = self._store.get_branch(question.id)
            context = self._prepare_model(model, load, on_event)
            budget = context - answer_reserve(context, sampling.max_tokens) - template_reserve(context)
            turns = [ChatTurn(role=m.role, content=m.content) for m in branch]
            counter = self._counter_for(model, session.system_prompt, turns, budget)
            prompt, dropped = fit_context(session.system_prompt, turns, budget, counter)
            answer = ChatMessage(
                id=uuid.uuid4().hex,
                session_id=session.id,
                parent_id=question.id,
                role=Role.ASSISTANT,
                model=model,
                state=MessageState.PARTIAL,
                created_at=datetime.now(UTC),
                sampling=sampling,
            )
            if on_event is not None:
                on_event(
                    ChatStartedEvent(
                        session_id=session.id,
                        user_message_id=question.id,
                        message_id=answer.id,
                        dropped_turns=dropped,
                    )
                )
            save = self._saver(answer, on_event)
            save(answer, True)
            request = GenerateRequest(model=model, messages=prompt, sampling=sampling)
            result, final = self._stream(generate, request, answer, save, on_event, token)
        finally:
            with self._ended:
                self._running.pop(session.id, None)
                self._ended.notify_all()
        unsaved = self._unsaved.snapshot().reason if self._unsaved.is_waiting(answer.id) else None
        return result, final, dropped, len(branch) == 1, unsaved

    def _saver(self, answer: ChatMessage, on_event: EventSink | None) -> Callable[[ChatMessage, bool], None]:
        """Saves the answer as it grows; the first time the store refuses it, the caller is told
        (once) that it is kept in memory."""
        told = threading.Event()

        def save(message: ChatMessage, make_active: bool = False) -> None:
            if self._unsaved.save(message, make_active=make_active) or told.is_set():
                return
            told.set()
            if on_event is not None:
                reason = self._unsaved.snapshot().reason or "the chat store refused it"
                on_event(ChatUnsavedEvent(session_id=answer.session_id, message_id=answer.id, reason=reason))

        return save

    def _counter_for(
        self, model: str, system_prompt: str, turns: list[ChatTurn], budget: int
    ) -> TokenCounter:
        """Exact counts from the model for the system prompt and the newest turns that may fit
        (estimated at up to twice the budget, so a long chat sends only its tail); the
        estimate for the rest, or for everything when the model cannot count."""
        if self._count_model_tokens is None:
            return self._count_tokens
        texts, estimated = [system_prompt], self._count_tokens(system_prompt)
        for turn in reversed(turns):
            if estimated > 2 * budget:
                break
            texts.append(turn.content)
            estimated += self._count_tokens(turn.content)
        counts = self._count_model_tokens(model, texts)
        if counts is None:
            return self._count_tokens
        exact = dict(zip(texts, counts, strict=True))
        return lambda text: exact[text] if text in exact else self._count_tokens(text)

    def _stream(
        self,
        generate: GenerateFn,
        request: GenerateRequest,
        answer: ChatMessage,
        save: Callable[[ChatMessage, bool], None],
        on_event: EventSink | None,
        token: CancelToken,
    ) -> tuple[GenerationResult, ChatMessage]:
        writer = StreamingWriter(
            lambda message: save(message, False),
            answer,
            interval_s=self._config.config.chat.persist_interval_ms / 1000,
            max_tokens=PERSIST_MAX_TOKENS,
        )

        def relay(event: BaseModel) -> None:
            if isinstance(event, TokenEvent):
                writer.append(event)
            if on_event is not None:
                on_event(event)

        try:
            result = generate(request, relay, token)
        except BaseException as exc:
            content, reasoning = writer.text()
            writer.finish(
                answer.model_copy(
                    update={
                        "content": content,
                        "reasoning": reasoning,
                        "state": MessageState.ERROR,
                        "error": str(exc),
                    }
                )
            )
            raise
        failed = result.stop_reason is StopReason.ERROR
        final = answer.model_copy(
            update={
                "content": result.content,
                "reasoning": result.reasoning,
                "state": MessageState.ERROR if failed else MessageState.COMPLETE,
                "usage": result.usage,
                "stop_reason": result.stop_reason,
            }
        )
        writer.finish(final)
        return result, final
