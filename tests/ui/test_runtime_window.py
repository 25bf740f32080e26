"""Load and unload the real starter model from the chat screen's model picker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import pump

LOAD_GUARD_S = 180


@pytest.mark.slow
def test_load_and_unload_the_starter_model(ui_app: Any, starter_model: Path) -> None:
    chat = ui_app.screens["chat"]
    ui_app.show_screen("chat")
    assert chat.ids.send_button.disabled  # nothing can answer yet
    chat.model_id = str(starter_model)
    pump(frames=2)
    chat.ids.load_button.dispatch("on_release")
    pump(lambda: chat.model_state in ("ready", "error"), timeout=LOAD_GUARD_S)
    assert chat.model_state == "ready", chat.hint
    assert chat.ids.load_button.text == "Unload"
    assert not chat.ids.send_button.disabled
    assert chat.hint == ""

    ui_app.refresh_status()
    status = ui_app.shell.ids.status
    pump(lambda: "SmolLM2" in status.models_text)
    assert "ready" in status.models_text

    chat.ids.load_button.dispatch("on_release")
    pump(lambda: chat.model_state == "")
    ui_app.refresh_status()
    pump(lambda: status.models_text == "No model loaded")
    assert chat.ids.send_button.disabled
