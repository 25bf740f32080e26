"""The runtime counts tokens with the loaded model's own tokenizer (for fitting chats)."""

from __future__ import annotations

from pathlib import Path

import llama_cpp
import pytest

from llamadesk.core.app import App

pytestmark = pytest.mark.slow  # loads the real starter model


def test_counts_match_the_models_tokenizer(shared_app: App, loaded_model: str, starter_model: Path) -> None:
    texts = ["Hello, world!", "", "Ünïcödé and 漢字 and code: `x = f(y)`", "word " * 300]
    counts = shared_app.runtime.count_tokens(loaded_model, texts)
    vocab = llama_cpp.Llama(model_path=str(starter_model), vocab_only=True, verbose=False)
    assert counts == [len(vocab.tokenize(t.encode(), add_bos=False, special=False)) for t in texts]
    assert counts[1] == 0 and counts[3] >= 300


def test_a_model_not_loaded_cannot_count(shared_app: App) -> None:
    assert shared_app.runtime.count_tokens("/nowhere/model.gguf", ["hi"]) is None
