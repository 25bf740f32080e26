"""Pull from the local test registry in the window, watch progress reach 100%, see it in the library."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import pump

GUARD_S = 180


@pytest.mark.slow
def test_pull_shows_progress_to_done_and_lists_the_model(ui_app: Any, registry: Any) -> None:
    discover = ui_app.screens["discover"]
    ui_app.show_screen("discover")
    reference = registry.ref("library/smollm2")
    discover.ids.reference.text = reference
    discover.ids.pull_button.dispatch("on_release")
    seen: list[float] = []

    def finished() -> bool:
        rows = [d for d in discover.downloads if d["reference"] == reference]
        if rows:
            seen.append(rows[0]["percent"])
        return bool(rows) and not rows[0]["active"]

    pump(finished, timeout=GUARD_S)
    row = next(d for d in discover.downloads if d["reference"] == reference)
    assert row["percent_text"] == "100%", row["detail"]
    assert row["detail"].startswith("Done")
    assert seen[0] < 100 <= max(seen)  # the bar moved while bytes arrived

    models = ui_app.screens["models"]
    ui_app.show_screen("models")
    pump(lambda: any(r["name"].startswith(registry.host) or "smollm2" in r["name"] for r in models.rows))
    pump(lambda: "Models use" in models.disk_text)
    chat = ui_app.screens["chat"]
    pump(lambda: any("smollm2" in m for m in chat.model_choices))
