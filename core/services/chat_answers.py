"""Writing one answer: the prompt from the branch, the stream from the generator, saved as it grows."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel

from ..errors import N_, InvalidParams, Unavailable
from ..interfaces.chat_store import ChatStore
from ..models.chat import ChatTurn, MessageState, Role
from ..models.chat_history import ChatMessage, ChatSession, ChatStartedEvent, ChatUnsavedEvent
from ..models.commands import TokenEvent
from ..models.llama import GenerateRequest, GenerationResult, LoadOptions, SamplingParams, StopReason
from ..models.tools import ToolCall, ToolChoice
from ..streaming import CancelToken, EventSink
from .chat_documents import with_documents
from .chat_prompt import TokenCounter, answer_reserve, fit_context, template_reserve
from .chat_unsaved import UnsavedQueue
from .chat_writer import StreamingWriter
from .config import ConfigService
from .tool_catalog import OfferedTool
from .tools import ToolService, cut_for_model

GenerateFn = Callable[[GenerateRequest, EventSink | None, CancelToken | None], GenerationResult]
# Make a model ready to answer (loading it if needed, with these options when given; events to
# the caller); returns its context size.
PrepareModelFn = Callable[[str, LoadOptions | None, EventSink | None], int]
# Count texts with a loaded model's own tokenizer; None when that model cannot.
ModelTokenCounter = Callable[[str, list[str]], list[int] | None]

# Save a streaming answer after this many tokens even if the interval has not passed.
PERSIST_MAX_TOKENS = 64


@dataclass(frozen=True)
class ToolUse:
    """The tools one answer may call, and how."""

    service: ToolService
    offered: list[OfferedTool]
    choice: ToolChoice = "auto"  # the first step's; the model then decides
    approve_all: bool = False
    max_rounds: int = 8


@dataclass(frozen=True)
class Written:
    result: GenerationResult  # of the last generation
    final: ChatMessage  # the last answer, as saved
    dropped: int  # the most turns any step left out of its prompt
    first_exchange: bool
    steps: list[ChatMessage] = field(default_factory=list)  # answers that called tools, and results
    unsaved: str | None = None  # why some of it is only in memory (the store refused it), if so


def prompt_turn(message: ChatMessage, tool_result_limit: int) -> ChatTurn:
    """A stored message as the model sees it; a long tool result is cut for the model."""
    result = message.tool_result
    if result is not None:
        content = cut_for_model(message.content, result.truncated, tool_result_limit)
        return ChatTurn(role=Role.TOOL, content=content, tool_call_id=result.call_id, name=result.name)
    return ChatTurn(role=message.role, content=with_documents(message), tool_calls=message.tool_calls)


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
            raise Unavailable(N_("no model runtime is available to write answers"))
        return self._generate

    @staticmethod
    def model_for(session: ChatSession, model: str | None) -> str:
        chosen = model or session.model
        if not chosen:
            raise InvalidParams(N_("pick a model for this chat first (the model param, or chat.update)"))
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
        tools: ToolUse | None = None,
    ) -> Written:
        """Answer `question`. With `tools`, an answer that calls tools gets their results
        (each a `tool` message after it) and the model answers again, up to the rounds
        allowed; every step is saved as it happens (kept in memory when the store refuses it:
        `Written.unsaved` says why)."""
        generate = self.generator()
        with self._lock:
            if session.id in self._running:
                raise Unavailable(N_("an answer is already being written in this chat; stop it first"))
            self._running[session.id] = token
        try:
            context = self._prepare_model(model, load, on_event)
            first_exchange = len(self._store.get_branch(question.id)) == 1
            parent, steps, dropped = question, [], 0
            for step in itertools.count():
                offered = tools.offered if tools is not None and step < tools.max_rounds else []
                result, final, cut = self._answer_step(
                    generate, session, question, parent, step, model, sampling, context, offered,
                    tools.choice if tools is not None and step == 0 else "auto", on_event, token,
                )  # fmt: skip
                dropped = max(dropped, cut)
                if tools is None or not offered or result.stop_reason is not StopReason.TOOL_CALLS:
                    break
                steps.append(final)
                parent = final
                for call in result.tool_calls:
                    parent = self._tool_result(tools, call, parent, on_event, token)
                    steps.append(parent)
                    if token.cancelled:
                        break
                if token.cancelled:
                    break
        finally:
            with self._ended:
                self._running.pop(session.id, None)
                self._ended.notify_all()
        kept = [message for message in [*steps, final] if self._unsaved.is_waiting(message.id)]
        unsaved = (self._unsaved.snapshot().reason or "the chat store refused it") if kept else None
        return Written(
            result=result,
            final=final,
            dropped=dropped,
            first_exchange=first_exchange,
            steps=steps,
            unsaved=unsaved,
        )

    def _answer_step(
        self,
        generate: GenerateFn,
        session: ChatSession,
        question: ChatMessage,
        parent: ChatMessage,
        step: int,
        model: str,
        sampling: SamplingParams,
        context: int,
        offered: list[OfferedTool],
        choice: ToolChoice,
        on_event: EventSink | None,
        token: CancelToken,
    ) -> tuple[GenerationResult, ChatMessage, int]:
        """One generation answering the branch down to `parent`: (result, saved answer, dropped)."""
        branch = self._store.get_branch(parent.id)
        budget = context - answer_reserve(context, sampling.max_tokens) - template_reserve(context)
        limit = self._config.config.tools.result_chars_for_model
        turns = [prompt_turn(m, limit) for m in branch]
        counter = self._counter_for(model, session.system_prompt, turns, budget)
        prompt, dropped = fit_context(session.system_prompt, turns, budget, counter)
        answer = ChatMessage(
            id=uuid.uuid4().hex,
            session_id=session.id,
            parent_id=parent.id,
            role=Role.ASSISTANT,
            model=model,
            state=MessageState.PARTIAL,
            created_at=datetime.now(UTC),
            sampling=sampling,
            sources=question.sources,  # what the answer may cite
        )
        if on_event is not None:
            on_event(
                ChatStartedEvent(
                    session_id=session.id,
                    user_message_id=question.id if step == 0 else parent.id,
                    message_id=answer.id,
                    dropped_turns=dropped,
                    step=step,
                )
            )
        save = self._saver(answer, on_event)
        save(answer, True)
        request = GenerateRequest(
            model=model,
            messages=prompt,
            sampling=sampling,
            tools=[tool.definition() for tool in offered],
            tool_choice=choice if offered else "auto",
        )
        result, final = self._stream(generate, request, answer, save, on_event, token)
        return result, final, dropped

    def _tool_result(
        self,
        tools: ToolUse,
        call: ToolCall,
        parent: ChatMessage,
        on_event: EventSink | None,
        token: CancelToken,
    ) -> ChatMessage:
        """Run one call (asking first, unless allowed) and save its result as a `tool` message."""
        run = tools.service.run(
            call, tools.offered, approve_all=tools.approve_all, token=token, on_event=on_event,
            session_id=parent.session_id,
        )  # fmt: skip
        message = ChatMessage(
            id=uuid.uuid4().hex,
            session_id=parent.session_id,
            parent_id=parent.id,
            role=Role.TOOL,
            content=run.text,
            created_at=datetime.now(UTC),
            tool_result=run.result,
        )
        self._saver(message, on_event)(message, True)
        return message

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
                "tool_calls": result.tool_calls,
            }
        )
        writer.finish(final)
        return result, final
