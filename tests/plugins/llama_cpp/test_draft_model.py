"""Speculative decoding with a draft model, with the real starter model drafting for itself
(the one GGUF the tests have; a smaller model of its family would be the real use): the
same text as without drafts, greedy and sampled, and a draft model of another vocabulary
refused at load."""

from __future__ import annotations

import struct
from pathlib import Path

import llama_cpp
import pytest

from llamadesk.core.app import App
from llamadesk.core.commands.table import CommandError
from llamadesk.core.models.llama import GenerationResult

from .conftest import SMALL

pytestmark = pytest.mark.slow  # loads the real starter model

PROMPTS = [
    "List the days of the week, then list them again in reverse order.",
    "Write a short story about a lighthouse keeper.",
]


def generate(app: App, model: str, prompt: str, **sampling: object) -> GenerationResult:
    params = {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "sampling": {"temperature": 0, "repeat_penalty": 1.0, "max_tokens": 96, **sampling},
    }
    result = app.commands.invoke("runtime.generate", params)
    assert isinstance(result, GenerationResult)
    return result


def test_a_draft_model_gives_the_models_own_text_greedy_and_sampled(
    shared_app: App, starter_model: Path, model_alias: str
) -> None:
    drafting = str(starter_model)
    loads = ((drafting, {"draft_model": model_alias}), (model_alias, {"draft": "none"}))
    for model, options in loads:
        shared_app.commands.invoke(
            "runtime.load", {"model": model, "options": {**SMALL.model_dump(), "parallel": 1, **options}}
        )
    try:
        pairs = [(generate(shared_app, drafting, p), generate(shared_app, model_alias, p)) for p in PROMPTS]
        sampled = {"temperature": 0.9, "seed": 7}
        pairs.append(
            (
                generate(shared_app, drafting, PROMPTS[1], **sampled),
                generate(shared_app, model_alias, PROMPTS[1], **sampled),
            )
        )
    finally:
        for model, _ in loads:
            shared_app.commands.invoke("runtime.unload", {"model": model})
    for with_drafts, without in pairs:
        assert with_drafts.content == without.content
        assert without.usage.drafted_tokens == 0
    drafted = sum(w.usage.drafted_tokens for w, _ in pairs)
    accepted = sum(w.usage.accepted_tokens for w, _ in pairs)
    # The model drafting for itself guesses its own greedy picks: nearly all are taken (a
    # sampled pick may differ). Drafts pause while they cost more than they save, as they
    # do here, so only some steps carry one.
    assert drafted >= 8 and accepted >= 0.8 * drafted, (drafted, accepted)


def test_a_draft_model_of_another_vocabulary_is_refused(
    shared_app: App, starter_model: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other-vocab.gguf"
    token, text = renamed_token(starter_model, other)
    options = {**SMALL.model_dump(), "parallel": 1, "draft": "model", "draft_model": str(other)}
    with pytest.raises(CommandError) as refused:
        shared_app.commands.invoke("runtime.load", {"model": str(starter_model), "options": options})
    message = refused.value.message
    assert "other-vocab.gguf cannot draft for" in message and f"token {token} is" in message, message
    assert text.decode() in message


def renamed_token(source: Path, target: Path) -> tuple[int, bytes]:
    """Copy `source` with one token's text changed (same length, so the GGUF stays valid);
    returns the token and its new text."""
    vocab_only = llama_cpp.Llama(str(source), vocab_only=True, verbose=False)
    try:
        vocab = vocab_only._model.vocab
        token = next(
            t for t in range(1000, 40000) if len(llama_cpp.llama_vocab_get_text(vocab, t) or b"") == 10
        )
        text = llama_cpp.llama_vocab_get_text(vocab, token)
    finally:
        vocab_only.close()
    data = source.read_bytes()
    stored = struct.pack("<Q", len(text)) + text
    assert data.count(stored) >= 1
    renamed = b"~draft~~~~"
    target.write_bytes(data.replace(stored, struct.pack("<Q", len(renamed)) + renamed, 1))
    return token, renamed
