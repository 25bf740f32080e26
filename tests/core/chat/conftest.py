"""Fixtures for the chat service: a real SQLite store and a plain generator function.

The generator stands in for the runtime *below* the seam only (persistence
cadence, branches, truncation); answers from the real model are tested in
test_chat_runtime.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from llamadesk.core.models.commands import TokenEvent
from llamadesk.core.models.llama import GenerateRequest, GenerationResult, StopReason, Usage
from llamadesk.core.services.chat import ChatService
from llamadesk.core.services.config import ConfigService
from llamadesk.core.streaming import CancelToken
from llamadesk.plugins.sqlite import SQLiteChatStore


class ScriptedGenerator:
    """Answers with `reply(request)` split into word tokens; remembers every request.

    `before_token(i)` runs before token i is emitted (tests use it to wait or block).
    """

    def __init__(self) -> None:
        self.requests: list[GenerateRequest] = []
        self.reply: Callable[[GenerateRequest], str] = lambda r: f"answer {len(self.requests)}"
        self.before_token: Callable[[int, CancelToken | None], None] = lambda i, token: None
        self.lock = threading.Lock()

    def __call__(self, request: GenerateRequest, on_event, token: CancelToken | None) -> GenerationResult:
        with self.lock:
            self.requests.append(request)
        text = self.reply(request)
        pieces = [w + " " for w in text.split(" ")]
        pieces[-1] = pieces[-1].rstrip(" ")
        kept = []
        for i, piece in enumerate(pieces):
            self.before_token(i, token)
            if token is not None and token.cancelled:
                return GenerationResult(
                    model=request.model, content="".join(kept), stop_reason=StopReason.CANCELLED
                )
            kept.append(piece)
            if on_event is not None:
                on_event(TokenEvent(text=piece))
        return GenerationResult(
            model=request.model,
            content="".join(kept),
            stop_reason=StopReason.STOP,
            usage=Usage(prompt_tokens=10, completion_tokens=len(kept)),
        )


@pytest.fixture
def generator() -> ScriptedGenerator:
    return ScriptedGenerator()


@pytest.fixture
def config(tmp_path: Path) -> ConfigService:
    return ConfigService(tmp_path / "config" / "config.json")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteChatStore]:
    chat_store = SQLiteChatStore(tmp_path / "data" / "chats.db")
    yield chat_store
    chat_store.close()


@pytest.fixture
def service(store, config, generator) -> ChatService:
    config.update({"chat": {"generate_titles": False}})
    return ChatService(store, config, generator)
