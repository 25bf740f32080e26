"""Embeddings from the real starter model through `runtime.embed`."""

from __future__ import annotations

import math

import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.models.llama import Embeddings, GenerationResult

from .test_generation import generate

pytestmark = pytest.mark.slow  # loads the real starter model


def embed(app: App, model: str, texts: list[str]) -> Embeddings:
    result = app.commands.invoke("runtime.embed", {"model": model, "input": texts})
    assert isinstance(result, Embeddings)
    return result


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # both have length 1


def test_one_unit_vector_per_text_in_order(shared_app: App, loaded_model: str) -> None:
    texts = ["The cat sat on the mat.", "Stock markets fell sharply today.", "The cat sat on the mat."]
    result = embed(shared_app, loaded_model, texts)
    assert result.model == loaded_model
    assert len(result.vectors) == 3
    for vector in result.vectors:
        assert len(vector) == 576  # SmolLM2-135M's embedding length
        assert math.isclose(math.fsum(x * x for x in vector), 1.0, rel_tol=1e-6)
    same, other = result.vectors[0], result.vectors[1]
    assert cosine(same, result.vectors[2]) == pytest.approx(1.0, abs=1e-6)
    assert cosine(same, other) < 0.999
    assert result.prompt_tokens > 10


def test_similar_texts_are_closer_than_unrelated_ones(shared_app: App, loaded_model: str) -> None:
    cat, kitten, tax = embed(
        shared_app,
        loaded_model,
        [
            "My cat loves sleeping in the sun.",
            "My kitten loves napping in the sunshine.",
            "File your tax return.",
        ],
    ).vectors
    assert cosine(cat, kitten) > cosine(cat, tax)


def test_generation_after_embedding_is_unchanged(shared_app: App, loaded_model: str) -> None:
    # Embedding clears the KV cache the chat reuses; the next answer must not notice.
    before, _ = generate(shared_app, loaded_model, max_tokens=16)
    embed(shared_app, loaded_model, ["something else entirely"])
    after, _ = generate(shared_app, loaded_model, max_tokens=16)
    assert isinstance(after, GenerationResult) and after.content == before.content


def test_text_longer_than_the_context_fails_the_request_not_the_model(
    shared_app: App, loaded_model: str
) -> None:
    with pytest.raises(CommandError) as caught:
        embed(shared_app, loaded_model, ["word " * 3000])
    assert caught.value.code == "generation_failed" and "at most 1024" in caught.value.message
    assert len(embed(shared_app, loaded_model, ["still here"]).vectors) == 1
