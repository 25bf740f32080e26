"""Grammar sampling checks the token the chain picked (grammar_sampling.py), with the real model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_cpp import Llama, LlamaGrammar
from llama_cpp.llama_grammar import json_schema_to_gbnf

from llamadesk.core.models.llama import SamplingParams
from llamadesk.plugins.llama_cpp.generation import Generator

pytestmark = pytest.mark.slow  # loads the real starter model

PROMPT = "<|im_start|>user\nDescribe a city as JSON.<|im_end|>\n<|im_start|>assistant\n"
SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 30},
        "population": {"type": "integer"},
        "tags": {"type": "array", "items": {"enum": ["big", "old", "new"]}, "maxItems": 3},
    },
    "required": ["name", "population", "tags"],
}


@pytest.fixture(scope="module")
def llm(starter_model: Path) -> Iterator[Llama]:
    model = Llama(str(starter_model), n_ctx=512, n_threads=2, n_threads_batch=2, verbose=False)
    yield model
    model.close()


def generate(generator: Generator, sampling: SamplingParams) -> str:
    pieces: list[str] = []
    generator.run(PROMPT, sampling, lambda _channel, text: pieces.append(text), lambda: False)
    return "".join(pieces)


def test_greedy_gives_what_judging_every_token_gives(llm: Llama) -> None:
    generator = Generator(llm, None, split_reasoning=False, seed=None)
    ours = generate(
        generator, SamplingParams(temperature=0, max_tokens=60, json_schema=SCHEMA, repeat_penalty=1)
    )
    generator.forget_cache()
    # llama-cpp-python's high-level path applies the grammar to every token's logits first.
    grammar = LlamaGrammar.from_string(json_schema_to_gbnf(json.dumps(SCHEMA)), verbose=False)
    reference = llm.create_completion(PROMPT, grammar=grammar, temperature=0, max_tokens=60, repeat_penalty=1)
    assert ours == reference["choices"][0]["text"]
    assert json.loads(ours)["name"]


def test_sampled_output_always_keeps_to_the_schema(llm: Llama) -> None:
    generator = Generator(llm, None, split_reasoning=False, seed=None)
    for seed in range(6):
        sampling = SamplingParams(temperature=1.0, max_tokens=300, json_schema=SCHEMA, seed=seed)
        value = json.loads(generate(generator, sampling))
        assert isinstance(value["name"], str) and isinstance(value["population"], int)
        assert set(value["tags"]) <= {"big", "old", "new"}
