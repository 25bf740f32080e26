"""Remote models through the app: listed by the API server as @REMOTE/MODEL, and chatted
with through the runtime, against llama-cpp-python's real server."""

from __future__ import annotations

import threading

import pytest
from openai import OpenAI

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import TokenEvent
from llamadesk.core.models.llama import GenerationDoneEvent, StopReason

from .conftest import SERVER_KEY, RunningServer, free_port

HANG_GUARD_SECONDS = 120


def add_remote(app: App, server: RunningServer) -> str:
    app.commands.invoke("remote.add", {"name": "box", "url": server.base_url, "api_key": SERVER_KEY})
    return f"@box/{server.model_id}"


def test_remote_models_are_listed_by_the_api_server(app: App, llama_cpp_server: RunningServer) -> None:
    model = add_remote(app, llama_cpp_server)
    status = app.commands.invoke("server.start", {"port": 0}).model_dump()
    try:
        client = OpenAI(base_url=status["url"], api_key="unused", max_retries=0)
        cards = {card.id: card for card in client.models.list()}
        assert model in cards and cards[model].owned_by == "remote"
    finally:
        app.commands.invoke("server.stop")


def test_chat_through_a_remote_model_via_the_api(app: App, llama_cpp_server: RunningServer) -> None:
    """@box/smollm2 is "loaded" on first use (just in time), then chats through the runtime."""
    model = add_remote(app, llama_cpp_server)
    status = app.commands.invoke("server.start", {"port": 0}).model_dump()
    try:
        client = OpenAI(base_url=status["url"], api_key="unused", max_retries=0)
        answer = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Hello"}], max_tokens=6, temperature=0
        )
        assert answer.choices[0].message.content and answer.choices[0].finish_reason == "length"
        assert answer.usage is not None and answer.usage.completion_tokens == 6
        stream = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Hello"}], max_tokens=6, stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices).strip()
    finally:
        app.commands.invoke("server.stop")
    loaded = app.commands.invoke("runtime.status").model_dump()["models"]
    assert [(m["id"], m["backend"], m["state"]) for m in loaded] == [(model, "openai_remote", "ready")]


def test_runtime_generate_streams_and_stops_a_remote_model(app: App, llama_cpp_server: RunningServer) -> None:
    model = add_remote(app, llama_cpp_server)
    events: list[object] = []
    done = threading.Event()

    def on_event(event: object) -> None:
        events.append(event)
        if sum(isinstance(e, TokenEvent) for e in events) == 3:  # after the load's state events
            done.set()

    params = {
        "model": model,
        "messages": [{"role": "user", "content": "Tell a long story."}],
        "sampling": {"max_tokens": 2000},
    }
    running = app.commands.start("runtime.generate", params, on_event=on_event)
    assert done.wait(HANG_GUARD_SECONDS)
    assert app.commands.invoke("runtime.stop", {"model": model}).model_dump()["stopped"]
    result = running.result(HANG_GUARD_SECONDS)
    assert result.stop_reason == StopReason.CANCELLED and result.content
    assert isinstance(events[-1], GenerationDoneEvent) and events[-1].stop_reason == StopReason.CANCELLED
    assert result.usage.completion_tokens < 2000


def test_remote_models_appear_in_the_library_listing(app: App, llama_cpp_server: RunningServer) -> None:
    model = add_remote(app, llama_cpp_server)
    listing = app.commands.invoke("models.list", {"discover": False}).model_dump()
    assert listing["remote"] == [
        {"id": model, "backend": "openai_remote", "where": llama_cpp_server.base_url}
    ]
    assert all(entry["reference"] != model for entry in listing["models"])  # nothing was downloaded


def test_a_remote_that_is_down_leaves_the_listing_working(app: App) -> None:
    app.commands.invoke(
        "remote.add", {"name": "gone", "url": f"http://127.0.0.1:{free_port()}/v1", "check": False}
    )
    assert app.commands.invoke("models.list", {"discover": False}).model_dump()["remote"] == []


def test_a_remote_that_is_down_fails_to_load_clearly(app: App) -> None:
    app.commands.invoke(
        "remote.add", {"name": "gone", "url": f"http://127.0.0.1:{free_port()}/v1", "check": False}
    )
    with pytest.raises(CommandError) as caught:
        app.commands.invoke("runtime.load", {"model": "@gone/anything"})
    assert caught.value.code == "load_failed" and "cannot reach" in caught.value.message


def test_an_unknown_model_of_a_remote_is_refused(app: App, llama_cpp_server: RunningServer) -> None:
    add_remote(app, llama_cpp_server)
    with pytest.raises(CommandError) as caught:
        app.commands.invoke("runtime.load", {"model": "@box/not-there"})
    assert caught.value.code == "load_failed" and "smollm2" in caught.value.message


def test_embeddings_go_to_the_remote_and_its_refusal_is_reported(
    app: App, llama_cpp_server: RunningServer
) -> None:
    # This llama_cpp.server runs its model without embeddings: its own refusal must reach the caller.
    model = add_remote(app, llama_cpp_server)
    with pytest.raises(CommandError) as caught:
        app.commands.invoke("runtime.embed", {"model": model, "input": ["hello"]})
    assert caught.value.code == "generation_failed"
    assert "'box' refused the request (500)" in caught.value.message
    assert "embedding=True" in caught.value.message  # llama_cpp.server's own words
