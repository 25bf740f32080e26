"""The OpenAI client of the remote backends, against llama-cpp-python's real server."""

from __future__ import annotations

import threading
import time

import pytest

from llamadesk.core.errors import InvalidParams, Unavailable
from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.commands import TokenEvent
from llamadesk.core.models.llama import GenerateRequest, SamplingParams, StopReason
from llamadesk.core.streaming import CancelToken
from llamadesk.plugins.openai_remote.client import OpenAIClient, normalize_base_url

from .conftest import SERVER_KEY, RunningServer, free_port

HANG_GUARD_SECONDS = 60


def request(max_tokens: int = 24) -> GenerateRequest:
    return GenerateRequest(
        model="@box/smollm2",
        messages=[ChatTurn(role=Role.USER, content="Count from one to ten in words.")],
        sampling=SamplingParams(temperature=0, max_tokens=max_tokens, seed=1),
    )


def test_base_url_gets_v1_when_it_has_no_path() -> None:
    assert normalize_base_url("http://gpubox:8080") == "http://gpubox:8080/v1"
    assert normalize_base_url("http://gpubox:8080/v1/") == "http://gpubox:8080/v1"
    assert normalize_base_url("https://api.example.com/openai/v1") == "https://api.example.com/openai/v1"
    with pytest.raises(InvalidParams):
        normalize_base_url("gpubox:8080")


def test_lists_the_servers_models(llama_cpp_server: RunningServer) -> None:
    client = OpenAIClient(llama_cpp_server.base_url, SERVER_KEY)
    assert [card.id for card in client.list_models()] == ["smollm2"]
    assert client.is_healthy()


def test_wrong_key_is_a_clear_error(llama_cpp_server: RunningServer) -> None:
    with pytest.raises(InvalidParams, match="API key"):
        OpenAIClient(llama_cpp_server.base_url, "wrong").list_models()


def test_unreachable_server_is_unavailable() -> None:
    client = OpenAIClient(f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(Unavailable, match="cannot reach"):
        client.list_models()
    assert not client.is_healthy()


def test_chat_streams_tokens_and_reports_usage(llama_cpp_server: RunningServer) -> None:
    client = OpenAIClient(llama_cpp_server.base_url, SERVER_KEY)
    events: list[TokenEvent] = []
    result = client.chat(request(), "smollm2", events.append, CancelToken())
    assert len(events) > 3
    assert result.content == "".join(e.text for e in events) and result.content.strip()
    assert result.stop_reason == StopReason.LENGTH
    assert result.usage.completion_tokens >= len(events) - 1
    assert result.usage.time_to_first_token_ms is not None and result.usage.tokens_per_second


def test_cancel_stops_the_stream_at_once(llama_cpp_server: RunningServer) -> None:
    client = OpenAIClient(llama_cpp_server.base_url, SERVER_KEY)
    token = CancelToken()
    events: list[TokenEvent] = []

    def on_event(event: TokenEvent) -> None:
        events.append(event)
        if len(events) == 3:
            threading.Thread(target=token.cancel).start()

    started = time.monotonic()
    result = client.chat(request(max_tokens=2000), "smollm2", on_event, token)
    assert result.stop_reason == StopReason.CANCELLED
    assert 3 <= len(events) < 200
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    # The server is free again: the next request is answered.
    again = client.chat(request(max_tokens=4), "smollm2", lambda e: None, CancelToken())
    assert again.stop_reason == StopReason.LENGTH
