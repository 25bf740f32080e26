"""Chat and text completions details with the official `openai` client: logprobs computed by
the worker, `n` answers, usage with `n`, max_tokens bounded by the context, and 400s for
what the server cannot honour."""

from __future__ import annotations

import math

import openai
import pytest

from .conftest import Served

pytestmark = pytest.mark.slow  # loads the real starter model

ASK = [{"role": "user", "content": "Name three colours."}]


def test_chat_logprobs_without_streaming(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    answer = served.client().chat.completions.create(
        model=model, messages=ASK, max_tokens=6, temperature=0, logprobs=True, top_logprobs=3
    )
    choice = answer.choices[0]
    assert choice.logprobs is not None and choice.logprobs.content is not None
    entries = choice.logprobs.content
    assert len(entries) == 6 and "".join(e.token for e in entries) == choice.message.content
    for entry in entries:
        assert entry.logprob <= 0 and entry.bytes is not None and bytes(entry.bytes).decode(errors="replace")
        assert len(entry.top_logprobs) == 3
        tops = [top.logprob for top in entry.top_logprobs]
        assert tops == sorted(tops, reverse=True)
        # Greedy: the chosen token is the most likely one.
        assert entry.top_logprobs[0].token == entry.token and math.isclose(tops[0], entry.logprob)
        assert sum(math.exp(t) for t in tops) <= 1.0 + 1e-5
    plain = served.client().chat.completions.create(model=model, messages=ASK, max_tokens=6, temperature=0)
    assert plain.choices[0].logprobs is None
    assert plain.choices[0].message.content == choice.message.content  # asking changes nothing else


def test_chat_logprobs_streamed(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    chunks = list(
        served.client().chat.completions.create(
            model=model, messages=ASK, max_tokens=6, temperature=0, logprobs=True, stream=True
        )
    )
    with_text = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert with_text
    tokens = []
    for chunk in with_text:
        logprobs = chunk.choices[0].logprobs
        assert logprobs is not None and logprobs.content
        tokens += [entry.token for entry in logprobs.content]
        assert all(entry.top_logprobs == [] for entry in logprobs.content)
    assert "".join(tokens) == "".join(c.choices[0].delta.content or "" for c in with_text)
    assert len(tokens) == 6


def test_completion_logprobs(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    answer = served.client().completions.create(
        model=model, prompt="The sky is", max_tokens=4, temperature=0, logprobs=2
    )
    logprobs = answer.choices[0].logprobs
    assert logprobs is not None and logprobs.tokens and logprobs.token_logprobs and logprobs.top_logprobs
    assert "".join(logprobs.tokens) == answer.choices[0].text
    assert all(len(top) <= 2 for top in logprobs.top_logprobs) and logprobs.text_offset is not None
    assert logprobs.text_offset[0] == 0


def test_n_answers(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    answer = served.client().chat.completions.create(
        model=model, messages=ASK, max_tokens=5, n=2, temperature=0.9, seed=7
    )
    assert [choice.index for choice in answer.choices] == [0, 1]
    assert all(choice.message.content for choice in answer.choices)
    assert answer.usage is not None and answer.usage.completion_tokens == 10
    chunks = list(
        served.client().chat.completions.create(
            model=model,
            messages=ASK,
            max_tokens=5,
            n=2,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    finished = [c.choices[0].index for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finished == [0, 1]
    texts = [
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices and c.choices[0].index == i)
        for i in (0, 1)
    ]
    assert texts[0] and texts[0] == texts[1]  # greedy: the same answer twice
    assert (
        chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 10
    )


def test_max_tokens_is_bounded_by_the_context(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    answer = served.client().chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Hi"}],
        max_tokens=10**9,
        temperature=0,
        stop=["\n", "."],
    )
    assert answer.choices[0].finish_reason == "stop"


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"logit_bias": {"50256": -100}}, "logit_bias"),
        ({"functions": [{"name": "f", "parameters": {"type": "object"}}]}, "functions"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"top_logprobs": 2}, "top_logprobs"),
        ({"n": 17}, "n"),
    ],
)
def test_unsupported_parameters_are_refused_by_name(
    served_model: tuple[Served, str], extra: dict[str, object], param: str
) -> None:
    served, model = served_model
    with pytest.raises(openai.BadRequestError) as caught:
        served.client().chat.completions.create(model=model, messages=ASK, max_tokens=1, **extra)  # type: ignore[call-overload]
    assert caught.value.body["param"] == param  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as caught:
        served.client().completions.create(model=model, prompt="x", max_tokens=1, echo=True)
    assert caught.value.body["param"] == "echo"  # type: ignore[index]
