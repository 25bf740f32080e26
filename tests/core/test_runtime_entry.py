"""What runtime.status says of where a loaded model runs."""

from __future__ import annotations

from llamadesk.core.services.runtime_entry import processor_text


def test_processor_says_where_a_model_runs_as_ollama_ps_does() -> None:
    assert processor_text((0, 31)) == "CPU"
    assert processor_text((31, 31)) == "GPU"
    assert processor_text((12, 31)) == "GPU 12/31"
    assert processor_text(None) == ""  # a remote server: its own business
