"""What the API dialects ask of the worker, with the real starter model: logprobs (only when
asked), raw prompts, the stop string that ended an answer, prompt token counts, and the
refusal of a prompt far over the context without tokenizing all of it."""

from __future__ import annotations

import math

import pytest
from pydantic import BaseModel

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.commands import TokenEvent
from llamadesk.core.models.llama import GenerationResult, PromptTokens, StopReason
from llamadesk.plugins.llama_cpp.chat_template import ChatPrompt, TemplateChoice

pytestmark = pytest.mark.slow  # loads the real starter model

GREEDY = {"temperature": 0, "repeat_penalty": 1.0}
ASK = [{"role": "user", "content": "Name three colours."}]
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def generate(app: App, model: str, **params: object) -> tuple[GenerationResult, list[BaseModel]]:
    events: list[BaseModel] = []
    body = {"model": model, "messages": ASK, **params}
    body["sampling"] = {**GREEDY, **body.get("sampling", {})}  # type: ignore[dict-item]
    result = app.commands.invoke("runtime.generate", body, on_event=events.append)
    assert isinstance(result, GenerationResult)
    return result, events


def test_logprobs_only_when_asked(shared_app: App, loaded_model: str) -> None:
    plain, plain_events = generate(shared_app, loaded_model, sampling={"max_tokens": 8})
    assert plain.logprobs is None
    assert all(e.logprobs is None for e in plain_events if isinstance(e, TokenEvent))
    scored, events = generate(shared_app, loaded_model, sampling={"max_tokens": 8}, logprobs=4)
    assert scored.content == plain.content  # asking changes nothing else
    assert scored.logprobs is not None and len(scored.logprobs) == scored.usage.completion_tokens == 8
    assert "".join(entry.token for entry in scored.logprobs) == scored.content
    streamed = [entry for e in events if isinstance(e, TokenEvent) for entry in e.logprobs or []]
    assert streamed == scored.logprobs
    for entry in scored.logprobs:
        assert entry.logprob <= 0 and len(entry.top) == 4
        assert entry.top[0].token == entry.token and math.isclose(entry.top[0].logprob, entry.logprob)
        assert [t.logprob for t in entry.top] == sorted((t.logprob for t in entry.top), reverse=True)
        assert bytes(entry.bytes).decode("utf-8", errors="replace") == entry.token


def test_logprobs_under_a_json_schema(shared_app: App, loaded_model: str) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    result, _ = generate(
        shared_app, loaded_model, sampling={"max_tokens": 20, "json_schema": schema}, logprobs=0
    )
    assert result.logprobs is not None and "".join(e.token for e in result.logprobs) == result.content
    assert all(entry.top == [] for entry in result.logprobs)


def test_a_raw_prompt_has_no_template(shared_app: App, loaded_model: str) -> None:
    raw, _ = generate(shared_app, loaded_model, messages=[], prompt="1, 2, 3, 4,", sampling={"max_tokens": 4})
    chat, _ = generate(
        shared_app,
        loaded_model,
        messages=[{"role": "user", "content": "1, 2, 3, 4,"}],
        sampling={"max_tokens": 1},
    )
    assert raw.content.strip() and raw.usage.prompt_tokens + 10 < chat.usage.prompt_tokens
    with pytest.raises(CommandError) as caught:
        generate(shared_app, loaded_model, prompt="x")  # and messages
    assert caught.value.code == "invalid_params"


def test_the_stop_string_that_ended_it_is_named(shared_app: App, loaded_model: str) -> None:
    result, _ = generate(
        shared_app,
        loaded_model,
        messages=[],
        prompt="1, 2, 3, 4,",
        sampling={"max_tokens": 20, "stop": [",", "5"]},
    )
    assert result.stop_reason is StopReason.STOP and result.stop_sequence in (",", "5")
    assert result.stop_sequence not in result.content
    ended, _ = generate(shared_app, loaded_model, sampling={"max_tokens": 3})
    assert ended.stop_sequence is None


def test_count_prompt_is_what_generating_reads(shared_app: App, loaded_model: str) -> None:
    for extra in ({}, {"tools": [WEATHER]}, {"messages": [], "prompt": "1, 2, 3,"}):
        request = {"model": loaded_model, "messages": ASK, **extra}
        counted = shared_app.commands.invoke("runtime.count_prompt", request)
        assert isinstance(counted, PromptTokens)
        result, _ = generate(shared_app, loaded_model, sampling={"max_tokens": 1}, **extra)
        assert counted.prompt_tokens == result.usage.prompt_tokens


def test_a_prompt_far_over_the_context_is_refused_early(shared_app: App, loaded_model: str) -> None:
    huge = "lighthouse keeper " * 300_000  # ~5 MB, some 600,000 tokens against a context of 1024
    request = {"model": loaded_model, "messages": [{"role": "user", "content": huge}]}
    for command in ("runtime.count_prompt", "runtime.generate"):
        with pytest.raises(CommandError) as caught:
            shared_app.commands.invoke(command, request)
        assert caught.value.code == "generation_failed" and "over 1024 tokens" in caught.value.message
    result, _ = generate(shared_app, loaded_model, sampling={"max_tokens": 2})  # the model still serves
    assert result.usage.completion_tokens == 2


def test_reasoning_reaches_the_template_as_enable_thinking() -> None:
    template = "{% for m in messages %}{{ m['content'] }}{% endfor %}[{{ enable_thinking }}]"
    prompt = ChatPrompt(TemplateChoice(template, "override"), bos_token="", eos_token="")
    turns = [ChatTurn(role=Role.USER, content="hi")]
    assert prompt.render(turns, reasoning=False).endswith("[False]")
    assert prompt.render(turns, reasoning=True).endswith("[True]")
    assert prompt.render(turns).endswith("[]")  # left to the template
