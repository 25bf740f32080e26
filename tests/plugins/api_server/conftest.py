"""The API server started in-process on a free loopback port, and OpenAI clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openai import OpenAI

from llamadesk.core.app import App

API_KEY = "test-key"


@dataclass
class Served:
    app: App
    base_url: str

    def client(self, api_key: str = API_KEY, **kwargs: object) -> OpenAI:
        return OpenAI(base_url=self.base_url, api_key=api_key, max_retries=0, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def served(app: App) -> Iterator[Served]:
    """The API server of a fresh app, requiring API_KEY."""
    status = app.commands.invoke("server.start", {"port": 0, "api_key": API_KEY}).model_dump()
    yield Served(app=app, base_url=status["url"])
    app.commands.invoke("server.stop")


@pytest.fixture
def served_model(served: Served, starter_model: Path) -> tuple[Served, str]:
    """The server, with the starter model loaded (2 threads); its id is its path."""
    served.app.commands.invoke("config.set", {"values": {"load.threads": 2, "load.context_size": 2048}})
    served.app.commands.invoke("runtime.load", {"model": str(starter_model)})
    return served, str(starter_model)
