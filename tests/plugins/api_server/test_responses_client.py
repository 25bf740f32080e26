"""The official `openai` client's Responses API (`responses.create`) against the server."""

from __future__ import annotations

import json

import openai
import pytest

from .conftest import Served

pytestmark = pytest.mark.slow  # loads the real starter model

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_text_input(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    response = served.client().responses.create(
        model=model, input="Name three colours.", max_output_tokens=8, temperature=0
    )
    assert response.object == "response" and response.id.startswith("resp_")
    assert response.output_text and response.status == "incomplete"
    assert (
        response.incomplete_details is not None and response.incomplete_details.reason == "max_output_tokens"
    )
    assert (
        response.usage is not None and response.usage.output_tokens == 8 and response.usage.input_tokens > 5
    )


def test_message_input_with_instructions(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    response = served.client().responses.create(
        model=model,
        instructions="Answer in one word.",
        input=[
            {"role": "user", "content": "Hello."},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Hi."}]},
            {"role": "user", "content": [{"type": "input_text", "text": "Your favourite colour?"}]},
        ],
        max_output_tokens=20,
    )
    assert response.output[0].type == "message" and response.output_text
    assert response.instructions == "Answer in one word."


def test_streaming_events(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    stream = served.client().responses.create(
        model=model, input="Name three colours.", max_output_tokens=8, temperature=0, stream=True
    )
    events = list(stream)
    kinds = [event.type for event in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.incomplete"
    for expected in (
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
    ):
        assert expected in kinds
    assert [event.sequence_number for event in events] == list(range(len(events)))
    text = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    final = events[-1].response
    assert final.output_text == text and final.usage is not None and final.usage.output_tokens == 8
    whole = served.client().responses.create(
        model=model, input="Name three colours.", max_output_tokens=8, temperature=0
    )
    assert whole.output_text == text


def test_a_function_call_round_trip(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    ask = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = served.client().responses.create(
        model=model,
        input=ask,
        tools=[WEATHER],
        tool_choice={"type": "function", "name": "get_weather"},
        max_output_tokens=60,
        temperature=0,
    )
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and "city" in json.loads(call.arguments)
    follow = [
        *ask,
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": "Sunny, 21 C"},
    ]
    second = served.client().responses.create(
        model=model, input=follow, tools=[WEATHER], max_output_tokens=20
    )
    assert second.status in ("completed", "incomplete")
    assert second.usage is not None and first.usage is not None
    assert second.usage.input_tokens > first.usage.input_tokens
    stream = served.client().responses.create(
        model=model, input=ask, tools=[WEATHER], tool_choice="required", max_output_tokens=60, stream=True
    )
    events = list(stream)
    kinds = [event.type for event in events]
    assert (
        "response.function_call_arguments.delta" in kinds and "response.function_call_arguments.done" in kinds
    )
    done = [e for e in events if e.type == "response.output_item.done" and e.item.type == "function_call"]
    assert done and done[0].item.name == "get_weather"


def test_what_needs_state_is_refused(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    with pytest.raises(openai.BadRequestError) as caught:
        served.client().responses.create(model=model, input="Hi", previous_response_id="resp_123")
    assert caught.value.body["param"] == "previous_response_id"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as caught:
        served.client().responses.create(model=model, input="Hi", tools=[{"type": "web_search"}])  # type: ignore[list-item]
    assert "tools.0" in caught.value.message
