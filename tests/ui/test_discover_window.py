"""Discover against the real test hub (tests/plugins/huggingface/hub_server.py): search,
open a repository, see its choices with how each fits and the recommended one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llamadesk.core.models.settings import ConfigSetParams
from tests.plugins.huggingface.conftest import TINY_REPO
from tests.plugins.huggingface.hub_server import HubServer

from .conftest import pump


def shown(view: Any, kind: str) -> list[Any]:
    return [w for w in view.layout_manager.children if type(w).__name__ == kind]


def test_opening_a_repository_shows_its_choices(ui_app: Any, hub: HubServer, hf_env: Path) -> None:
    ui_app.commands.invoke("config.set", ConfigSetParams(values={"huggingface.endpoint": hub.url}))
    discover = ui_app.screens["discover"]
    ui_app.show_screen("discover")
    try:
        discover.ids.query.text = "tinyllama"
        discover.ids.search_button.dispatch("on_release")
        pump(lambda: not discover.searching)
        assert [r["repo_id"] for r in discover.results] == [TINY_REPO], discover.note
        pump(lambda: shown(discover.ids.results, "RepoRow"))
        row = shown(discover.ids.results, "RepoRow")[0]
        assert row.repo_id == TINY_REPO and "9,000 downloads" in row.detail
        row.dispatch("on_release")  # a click on the repository

        pump(lambda: discover.files or "GGUF" in discover.repo_note)
        names = [f["name"] for f in discover.files]
        assert {"Q2_K", "Q4_K_M", "Q8_0", "F16", "Q6_K"} <= set(names), discover.repo_note
        assert all(f["fit"] in ("fits", "tight", "too big") for f in discover.files)
        recommended = [f for f in discover.files if f["recommended"]]
        assert len(recommended) == 1
        assert recommended[0]["reference"] == f"hf.co/{TINY_REPO}:{recommended[0]['name']}"

        # The rows on screen: a fit badge on each, "recommended" on one.
        pump(lambda: shown(discover.ids.files, "FileRow"))
        pump(frames=2)
        views = shown(discover.ids.files, "FileRow")
        badges = [[w.text for w in view.walk(restrict=True) if type(w).__name__ == "Badge"] for view in views]
        assert all(any(b in ("fits", "tight", "too big") for b in texts) for texts in badges)
        assert sum("recommended" in texts for texts in badges) == 1
    finally:
        ui_app.commands.invoke("config.set", ConfigSetParams(values={"huggingface.endpoint": None}))
