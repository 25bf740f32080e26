"""A journey: from an empty home, Discover finds a model on the tests' Hugging Face hub
(tests/plugins/huggingface/hub_server.py, serving the real SmolLM2 GGUF), opens its
repository, shows its quants with how each fits and the recommended one, pulls that one
(the download's progress on screen), and the chat answers with it. Every step is clicked and
typed in a real X window (tests/ui/journey.py); each step's screen is saved."""

from __future__ import annotations

from pathlib import Path

from tests.plugins.huggingface.conftest import STARTER_FILE, STARTER_REPO, TINY_REPO
from tests.plugins.huggingface.hub_server import HubServer

from .journey import RealWindow, configure, library_references, shots_folder, wait_until

FIT_WORDS = ("fits", "tight", "too big")


def recommended_in(app: RealWindow, repo: str) -> str:
    """The reference of the quant shown as recommended for `repo`, once it shows."""
    shown = [w["context"]["reference"] for w in app.widgets(cls="Badge", text="recommended")]
    return next((r for r in shown if r.startswith(f"hf.co/{repo}:")), "")


def test_discover_search_open_pull_the_recommended_quant_and_chat(
    display: str, tmp_path: Path, hub: HubServer
) -> None:
    # The hub sends the 98 MB file slowly enough (about 6 s) that its progress can be seen.
    hub.throttle[STARTER_FILE] = 0.06
    configure(tmp_path, {"huggingface.endpoint": hub.url})
    app = RealWindow(display, tmp_path, shots_folder(tmp_path, "discover"))
    try:
        app.start()
        app.shot("01-empty-home")
        app.click(id="nav_discover", then={"id": "query"})
        app.click(id="query", then={"id": "query", "focused": True})
        app.type("tester")
        app.click(id="search_button")
        app.find(cls="RepoRow", repo_id=STARTER_REPO)
        app.shot("02-search-results")

        # A repository of many quants: each row says how it fits this machine, one is
        # recommended.
        app.click(cls="RepoRow", repo_id=TINY_REPO)
        wait_until(lambda: recommended_in(app, TINY_REPO), 60, "no recommended quant of TinyLlama")
        rows = {w["context"]["reference"] for w in app.widgets(cls="FileRow")}
        assert len(rows) >= 4, rows
        for reference in rows:
            words = [w["text"] for w in app.widgets(cls="Badge", reference=reference)]
            assert any(word in words for word in FIT_WORDS), (reference, words)
        app.shot("03-many-quants")

        app.click(cls="RepoRow", repo_id=STARTER_REPO)

        # The repository's quants, each with a fit badge; one recommended.
        reference = wait_until(lambda: recommended_in(app, STARTER_REPO), 60, "no recommended quant")
        assert reference == f"hf.co/{STARTER_REPO}:Q4_1", reference
        badges = [w["text"] for w in app.widgets(cls="Badge", reference=reference)]
        assert any(word in badges for word in FIT_WORDS), badges
        app.shot("04-recommended")

        app.click(text="Pull", cls="FlatButton", reference=reference)
        # The download row with its progress, while it runs.
        app.find(cls="ProgressBar", reference=reference)
        progress = wait_until(
            lambda: [w for w in app.widgets(cls="MutedLabel", reference=reference) if "%" in w["text"]],
            60,
            "no progress shown",
        )
        app.shot("05-pulling")
        assert not progress[0]["text"].startswith("100"), progress
        wait_until(
            lambda: (
                app.widgets(cls="FlatButton", text="Retry", reference=reference)
                or any("done" in w["text"].lower() for w in app.widgets(reference=reference))
            ),
            120,
            lambda: f"the pull did not end: {[w['text'] for w in app.widgets(reference=reference)]}",
        )
        assert not app.widgets(cls="FlatButton", text="Retry", reference=reference), app.log_tail()
        app.shot("06-pulled")

        # The chat: pick the pulled model, load it, ask.
        app.click(id="nav_chat", then={"id": "composer"})
        app.click(id="model_picker", then={"cls": "SpinnerOption"})
        app.click(cls="SpinnerOption", timeout=30)
        app.click(id="load_button")
        wait_until(lambda: app.find(text="ready"), 120, lambda: app.log_tail())
        app.send_and_wait("Hello")
        app.shot("07-answered")
        assert [m[0] for m in app.messages()][:2] == ["user", "assistant"]
    finally:
        app.stop()
    assert library_references(tmp_path / "app") == [reference]
