"""The app with the real starter model as the embedding model."""

from __future__ import annotations

from pathlib import Path

import pytest

from llamadesk.core.app import App


@pytest.fixture
def docs_app(app: App, starter_model: Path) -> App:
    """The app with the starter model as the embedding model, and no automatic rescans."""
    app.commands.invoke(
        "config.set",
        {"values": {"documents.embedding_model": str(starter_model), "documents.rescan_minutes": 0}},
    )
    return app
