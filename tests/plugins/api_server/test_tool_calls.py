"""Tool calling through the official `openai` client, with the real starter model."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from .conftest import Served
from .test_openai_client import post

pytestmark = pytest.mark.slow  # loads the real starter model

WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "The city's name"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["city", "unit"],
}
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city",
            "parameters": WEATHER_PARAMETERS,
        },
    },
    {"type": "function", "function": {"name": "get_time", "description": "The time now"}},
]
FORCE_WEATHER: Any = {"type": "function", "function": {"name": "get_weather"}}
ASK: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]


def assert_weather_arguments(arguments: str) -> None:
    """The arguments parse as JSON and satisfy WEATHER_PARAMETERS."""
    values = json.loads(arguments)
    assert isinstance(values, dict) and set(values) <= set(WEATHER_PARAMETERS["properties"])
    assert {"city", "unit"} <= set(values)
    assert isinstance(values["city"], str) and values["unit"] in ("celsius", "fahrenheit")


def test_a_named_tool_choice_returns_a_tool_call(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    answer = served.client().chat.completions.create(
        model=model, messages=ASK, tools=TOOLS, tool_choice=FORCE_WEATHER, temperature=0, max_tokens=80
    )
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert_weather_arguments(call.function.arguments)


def test_a_streamed_tool_call(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    stream = served.client().chat.completions.create(
        model=model,
        messages=ASK,
        tools=TOOLS,
        tool_choice=FORCE_WEATHER,
        temperature=0,
        max_tokens=80,
        stream=True,
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert not "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for piece in chunk.choices[0].delta.tool_calls or []:
            call = calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
            call["id"] += piece.id or ""
            assert piece.function is not None
            call["name"] += piece.function.name or ""
            call["arguments"] += piece.function.arguments or ""
    assert list(calls) == [0]
    assert calls[0]["name"] == "get_weather" and calls[0]["id"].startswith("call_")
    assert_weather_arguments(calls[0]["arguments"])
    assert [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason] == ["tool_calls"]


def test_stream_frames_a_tool_call_like_openai(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    body = {"model": model, "messages": ASK, "tools": TOOLS, "tool_choice": "required", "stream": True}
    response, connection = post(served, "/chat/completions", {**body, "temperature": 0, "max_tokens": 80})
    assert response.status == 200
    events = [json.loads(e.removeprefix("data: ")) for e in response.read().decode().split("\n\n")[:-2]]
    connection.close()
    (piece,) = [
        e["choices"][0]["delta"]["tool_calls"] for e in events if "tool_calls" in e["choices"][0]["delta"]
    ]
    assert len(piece) == 1 and set(piece[0]) == {"index", "id", "type", "function"}
    assert piece[0]["index"] == 0 and piece[0]["type"] == "function"
    assert set(piece[0]["function"]) == {"name", "arguments"}
    assert piece[0]["function"]["name"] in ("get_weather", "get_time")
    json.loads(piece[0]["function"]["arguments"])


def test_a_tool_result_gets_a_text_answer(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    client = served.client()
    first = client.chat.completions.create(
        model=model, messages=ASK, tools=TOOLS, tool_choice=FORCE_WEATHER, temperature=0, max_tokens=80
    )
    message = first.choices[0].message
    (call,) = message.tool_calls or []
    messages = [
        *ASK,
        message,  # as the client hands it back
        {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 21, "sky": "sunny"}'},
    ]
    # As an agent loop sends it: the same tools, tool_choice left to "auto".
    answer = client.chat.completions.create(
        model=model, messages=messages, tools=TOOLS, temperature=0, max_tokens=48
    )
    assert answer.choices[0].message.content and not answer.choices[0].message.tool_calls
    assert answer.choices[0].finish_reason in ("stop", "length")


@pytest.mark.parametrize(
    ("tools", "param"),
    [
        ([{"type": "function", "function": {"parameters": {"type": "object"}}}], "tools.0.function.name"),
        ([{"type": "function", "function": {"name": "has space"}}], "tools.0.function.name"),
        ([{"type": "function", "function": {"name": "f", "parameters": "x"}}], "tools.0.function.parameters"),
        (
            [{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}],
            "tools.0.function.parameters",
        ),
        ([TOOLS[0], TOOLS[0]], "tools.1"),
    ],
    ids=["no-name", "bad-name", "parameters-not-object", "parameters-not-object-schema", "twice"],
)
def test_malformed_tools_are_400s_naming_the_param(
    served_model: tuple[Served, str], tools: list[Any], param: str
) -> None:
    served, model = served_model
    with pytest.raises(openai.BadRequestError) as caught:
        served.client().chat.completions.create(model=model, messages=ASK, tools=tools)
    assert caught.value.status_code == 400 and caught.value.param == param


def test_bad_tool_choice_and_tool_message_are_400s(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    client = served.client()
    unknown: Any = {"type": "function", "function": {"name": "nowhere"}}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model, messages=ASK, tools=TOOLS, tool_choice=unknown)
    assert caught.value.param == "tool_choice"
    orphan: list[Any] = [*ASK, {"role": "tool", "content": "21 C"}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model, messages=orphan)
    assert caught.value.param == "messages.1.tool_call_id"
    image: list[Any] = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model, messages=image, tools=TOOLS)
    assert caught.value.param == "messages.0.content"
