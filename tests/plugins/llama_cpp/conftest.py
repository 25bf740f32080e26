"""A started app shared by a test module, with the real starter model loaded once.

Loading spawns a worker process (~1-2 s), so tests that only generate share one
loaded model; tests that kill, reload or unload use their own model id (a symlink
to the same file: a model's id is the reference it was loaded by).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.models.llama import LoadOptions
from llamadesk.core.paths import AppPaths

# Small context and batch: fast to load, small to hold; two threads as on CI.
SMALL = LoadOptions(context_size=1024, batch_size=256, threads=2)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    root = tmp_path_factory.mktemp("home")
    app = App(AppPaths(root / "config", root / "data", root / "cache"), load_entrypoints=False).start()
    yield app
    app.close()


@pytest.fixture(scope="module")
def loaded_model(shared_app: App, starter_model: Path) -> str:
    """The id of the starter model, loaded in `shared_app` with SMALL options."""
    model = str(starter_model)
    shared_app.commands.invoke("runtime.load", {"model": model, "options": SMALL.model_dump()})
    return model


@pytest.fixture
def model_alias(tmp_path: Path, starter_model: Path) -> str:
    """Another id for the starter model: a symlink, loaded as a separate model."""
    link = tmp_path / "alias.gguf"
    link.symlink_to(starter_model)
    return str(link)
