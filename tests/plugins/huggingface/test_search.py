"""hub.search against the local hub: GGUF repos only, text query, author, sort orders."""

from __future__ import annotations

from llamadesk.core.app import App

from .conftest import GATED_REPO, STARTER_REPO, TINY_REPO
from .hub_server import HubServer


def search(app: App, **params: object) -> list[dict]:
    return app.commands.invoke("hub.search", params).model_dump()["models"]


def test_search_lists_gguf_repos_by_downloads(hub_app: App, hub: HubServer) -> None:
    models = search(hub_app)
    assert [m["repo_id"] for m in models] == [TINY_REPO, STARTER_REPO, GATED_REPO]
    tiny = models[0]
    assert (tiny["author"], tiny["downloads"], tiny["likes"]) == ("tester", 9000, 5)
    assert tiny["last_modified"].year == 2026 and tiny["last_modified"].month == 1
    assert models[2]["gated"] is True
    # huggingface_hub asked our hub for GGUF repos, sorted, with the fields we show.
    (request,) = [r for r in hub.requests if r.path == "/api/models"]
    assert not request.proxied


def test_search_by_likes_text_and_author(hub_app: App) -> None:
    assert [m["repo_id"] for m in search(hub_app, sort="likes")] == [GATED_REPO, STARTER_REPO, TINY_REPO]
    assert [m["repo_id"] for m in search(hub_app, query="smollm2")] == [STARTER_REPO]
    assert [m["repo_id"] for m in search(hub_app, author="meta-llama")] == [GATED_REPO]
    assert [m["repo_id"] for m in search(hub_app, sort="last_modified", limit=1)] == [STARTER_REPO]
    assert search(hub_app, query="no-such-model") == []
