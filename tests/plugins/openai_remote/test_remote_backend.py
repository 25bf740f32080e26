"""Remote models through the app: listed by the API server as @REMOTE/MODEL, and chatted
with through the runtime, against llama-cpp-python's real server."""

from __future__ import annotations

from openai import OpenAI

from llamadesk.core.app import App

from .conftest import SERVER_KEY, RunningServer


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
