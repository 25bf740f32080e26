"""Push a local model to a registry, pull it elsewhere, and run the pulled model for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.paths import AppPaths


def test_import_then_push_then_pull_into_another_library(app, registry, tmp_path: Path) -> None:
    imported = app.library.import_file(registry.gguf, name="mine:q4")
    target = f"{registry.host}/team/mine:q4"
    # A model is pushed under the reference it is stored as: copy it to the registry's name first.
    app.library.copy(imported.reference, target)
    data = (app.models_dir / "manifests" / registry.host / "team" / "mine" / "q4").read_bytes()
    events = []
    pushed = app.library.push(target, on_progress=events.append)
    assert pushed.size == imported.size + json.loads(data)["config"]["size"]
    assert events[-1].phase == "done"
    status, _, body = registry.server.request(
        "GET",
        "/v2/team/mine/manifests/q4",
        None,
        {"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert status == 200 and body == data  # byte for byte: the digest is the same everywhere

    other = App(AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "k"), load_entrypoints=False).start()
    try:
        result = other.library.pull(target)
        assert result.digest == pushed.digest
        assert other.library.resolve_model_path(target).read_bytes()[:4] == b"GGUF"
    finally:
        other.close()
    # Pushing again uploads no blob: the registry has them all.
    assert app.library.push(target).digest == pushed.digest


@pytest.mark.slow
def test_a_pulled_model_loads_and_generates(app, registry) -> None:
    from llama_cpp import Llama

    ref = registry.ref("ai/smollm2")
    app.library.pull(ref)
    path = app.library.resolve_model_path(ref)
    llm = Llama(model_path=str(path), n_ctx=256, n_threads=2, verbose=False)
    try:
        out = llm.create_chat_completion(
            messages=[{"role": "user", "content": "Say hello."}], max_tokens=8, temperature=0
        )
        text = out["choices"][0]["message"]["content"]
        assert isinstance(text, str) and text.strip()
        assert out["usage"]["completion_tokens"] > 0
    finally:
        llm.close()
