"""Tool calls from the real starter model: a forced call is valid, streamed as one event."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from llamadesk.core.app import App
from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.llama import GenerationResult, StopReason

pytestmark = pytest.mark.slow  # loads the real starter model

WEATHER = {
    "name": "get_weather",
    "description": "Current weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
        "required": ["city", "unit"],
    },
}
CLOCK = {"name": "get_time", "description": "The time in a time zone", "parameters": {"type": "object"}}
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]
GREEDY = {"temperature": 0, "max_tokens": 80}


def generate(app: App, model: str, **params: object) -> tuple[GenerationResult, list[BaseModel]]:
    events: list[BaseModel] = []
    request = {"model": model, "messages": ASK, "sampling": GREEDY, "tools": [WEATHER, CLOCK], **params}
    result = app.commands.invoke("runtime.generate", request, on_event=events.append)
    assert isinstance(result, GenerationResult)
    return result, events


def test_a_named_tool_choice_gets_a_valid_call(shared_app: App, loaded_model: str) -> None:
    result, events = generate(shared_app, loaded_model, tool_choice={"name": "get_weather"})
    (call,) = result.tool_calls
    assert call.name == "get_weather" and call.id.startswith("call_")
    arguments = json.loads(call.arguments)
    assert set(arguments) == {"city", "unit"}
    assert isinstance(arguments["city"], str) and arguments["unit"] in ("celsius", "fahrenheit")
    assert result.stop_reason is StopReason.TOOL_CALLS and result.content == ""
    assert [e for e in events if isinstance(e, ToolCallEvent)] == [ToolCallEvent(index=0, call=call)]
    assert not [e for e in events if isinstance(e, TokenEvent)]  # the call's text is not content


def test_required_calls_one_of_the_tools(shared_app: App, loaded_model: str) -> None:
    result, _events = generate(shared_app, loaded_model, tool_choice="required")
    (call,) = result.tool_calls
    assert call.name in ("get_weather", "get_time")
    assert isinstance(json.loads(call.arguments), dict)


def test_none_offers_no_tools(shared_app: App, loaded_model: str) -> None:
    result, events = generate(
        shared_app, loaded_model, tool_choice="none", sampling={**GREEDY, "max_tokens": 12}
    )
    assert result.tool_calls == [] and result.stop_reason is StopReason.LENGTH
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == result.content != ""


def test_a_tool_result_is_answered_with_text(shared_app: App, loaded_model: str) -> None:
    call = {"id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris", "unit": "celsius"}'}
    messages = [
        *ASK,
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": '{"temperature": 21, "sky": "sunny"}', "tool_call_id": "call_1"},
    ]
    result, _events = generate(
        shared_app, loaded_model, messages=messages, tool_choice="none", sampling={**GREEDY, "max_tokens": 24}
    )
    assert result.content and result.tool_calls == []


def test_a_forced_call_is_found_after_a_prompt_that_opens_reasoning(
    shared_app: App, model_alias: str
) -> None:
    # A template that pre-opens <think> (as reasoning models' do): the grammar leaves no room
    # for reasoning, so the output is the call, not a reasoning block.
    thinking = (
        "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"
        "{% endfor %}{{ '<|im_start|>assistant\\n<think>\\n' }}"
    )
    options = {"context_size": 1024, "batch_size": 256, "threads": 2, "chat_template": thinking}
    shared_app.commands.invoke("runtime.load", {"model": model_alias, "options": options})
    try:
        result, _events = generate(shared_app, model_alias, tool_choice={"name": "get_weather"})
        assert [call.name for call in result.tool_calls] == ["get_weather"] and result.reasoning == ""
    finally:
        shared_app.commands.invoke("runtime.unload", {"model": model_alias})


def test_a_call_in_mistral_v11_form_is_found(shared_app: App, loaded_model: str) -> None:
    """What a Mistral v11 model writes once llama.cpp drops its control tokens: the
    tool's name, then its arguments. A grammar makes the starter model write it."""
    grammar = r'root ::= "get_weather{\"city\": \"Paris\", \"unit\": \"celsius\"}"'
    result, events = generate(shared_app, loaded_model, sampling={**GREEDY, "grammar": grammar})
    (call,) = result.tool_calls
    assert (call.name, json.loads(call.arguments)) == ("get_weather", {"city": "Paris", "unit": "celsius"})
    assert result.stop_reason is StopReason.TOOL_CALLS and result.content == ""
    assert not [e for e in events if isinstance(e, TokenEvent)]
