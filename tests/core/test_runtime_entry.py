"""What runtime.status says of where a loaded model runs."""

from __future__ import annotations

from llamadesk.core.models.llama import ModelPart
from llamadesk.core.services.runtime_entry import processor_text


def test_processor_says_where_a_model_runs_as_ollama_ps_does() -> None:
    assert processor_text((0, 31)) == "CPU"
    assert processor_text((31, 31)) == "GPU"
    assert processor_text((12, 31)) == "GPU 12/31"
    assert processor_text(None) == ""  # a remote server: its own business


def test_processor_of_a_model_split_across_machines_counts_their_layers() -> None:
    here = ModelPart(device="CPU", layers=10)
    workers = [
        ModelPart(host="10.0.0.2:50052", device="CPU", layers=11),
        ModelPart(host="h:1", device="CPU", layers=10),
    ]
    assert processor_text((0, 31), [here, *workers]) == "RPC 21/31"
    assert processor_text((0, 31), workers) == "RPC"  # every layer elsewhere (the embeddings stay here)
    assert processor_text((0, 31), [ModelPart(device="CPU", layers=31)]) == "CPU"
