"""What runtime.status says of a loaded model beyond its fields."""

from __future__ import annotations

from llamadesk.core.models.llama import ModelState, ModelStatus


def test_processor_says_where_a_model_runs_as_ollama_ps_does() -> None:
    def processor(offloaded: int | None, count: int | None) -> str:
        status = ModelStatus(
            id="m", state=ModelState.READY, gpu_layers_offloaded=offloaded, layer_count=count
        )
        assert status.model_dump(mode="json")["processor"] == status.processor  # in the JSON too
        return status.processor

    assert processor(0, 31) == "CPU"
    assert processor(31, 31) == "GPU"
    assert processor(12, 31) == "GPU 12/31"
    assert processor(None, None) == ""  # a remote server: its own business
