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


def import_starter(app: App, starter_model: Path) -> str:
    """Put the starter model in the app's library (in place); returns its reference."""
    app.commands.invoke("config.set", {"values": {"load.threads": 2, "load.context_size": 2048}})
    imported = app.commands.invoke(
        "models.import", {"path": str(starter_model), "in_place": True, "name": "smollm2"}
    )
    return str(imported.model_dump()["reference"])


@pytest.fixture(scope="module")
def served_model(
    tmp_path_factory: pytest.TempPathFactory, starter_model: Path
) -> Iterator[tuple[Served, str]]:
    """One server per test module with the starter model in its library, loaded (2 threads).
    Shared because loading is the slow part; tests compare counters, not totals."""
    root = tmp_path_factory.mktemp("served-home")
    app = App(AppPaths(root / "config", root / "data", root / "cache"), load_entrypoints=False).start()
    try:
        model = import_starter(app, starter_model)
        app.commands.invoke("runtime.load", {"model": model})
        status = app.commands.invoke("server.start", {"port": 0, "api_key": API_KEY}).model_dump()
        yield Served(app=app, base_url=status["url"]), model
    finally:
        app.close()
