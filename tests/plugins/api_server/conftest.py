"""The API server started in-process on a free loopback port, and OpenAI clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openai import OpenAI

from llamadesk.core.app import App
from llamadesk.core.paths import AppPaths

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


@pytest.fixture(scope="module")
def served_model(
    tmp_path_factory: pytest.TempPathFactory, starter_model: Path
) -> Iterator[tuple[Served, str]]:
    """One server per test module with the starter model loaded (2 threads); its id is its
    path. Shared because loading is the slow part; tests compare counters, not totals."""
    root = tmp_path_factory.mktemp("served-home")
    app = App(AppPaths(root / "config", root / "data", root / "cache"), load_entrypoints=False).start()
    try:
        app.commands.invoke("config.set", {"values": {"load.threads": 2, "load.context_size": 2048}})
        app.commands.invoke("runtime.load", {"model": str(starter_model)})
        status = app.commands.invoke("server.start", {"port": 0, "api_key": API_KEY}).model_dump()
        yield Served(app=app, base_url=status["url"]), str(starter_model)
    finally:
        app.close()
