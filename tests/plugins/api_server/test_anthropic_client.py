"""The official `anthropic` client against the server's Messages API, with the real starter model."""

from __future__ import annotations

import json
import urllib.request

import anthropic
import pytest

from .conftest import API_KEY, Served

pytestmark = pytest.mark.slow  # loads the real starter model

ASK = [{"role": "user", "content": "Name three colours."}]
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def client(served: Served, api_key: str = API_KEY) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=served.base_url.removesuffix("/v1"), api_key=api_key, max_retries=0)


def test_a_message_without_streaming(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    message = client(served).messages.create(
        model=model,
        max_tokens=8,
        system="You are terse.",
        messages=[
            {"role": "user", "content": "Hello."},
            {"role": "assistant", "content": [{"type": "text", "text": "Hi."}]},
            {"role": "user", "content": [{"type": "text", "text": "Name three colours."}]},
        ],
        # Newer SDKs left sampling fields out of create(); other clients still send them.
        extra_body={"temperature": 0, "top_p": 0.9, "top_k": 20},
    )
    assert message.type == "message" and message.role == "assistant" and message.model == model
    assert message.id.startswith("msg_")
    assert message.content[0].type == "text" and message.content[0].text
    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 8
    assert message.usage.input_tokens > 10


def test_count_tokens_is_what_generating_reads(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    counted = client(served).messages.count_tokens(model=model, system="You are terse.", messages=ASK)
    message = client(served).messages.create(model=model, max_tokens=1, system="You are terse.", messages=ASK)
    assert counted.input_tokens == message.usage.input_tokens
    with_tools = client(served).messages.count_tokens(model=model, messages=ASK, tools=[WEATHER])
    assert with_tools.input_tokens > counted.input_tokens


def test_streaming_sends_anthropics_event_sequence(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    with client(served).messages.stream(
        model=model, max_tokens=6, messages=ASK, extra_body={"temperature": 0}
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop" and kinds[-2] == "message_delta"
    assert "content_block_start" in kinds and "content_block_stop" in kinds
    assert (
        kinds.index("content_block_start")
        < kinds.index("content_block_delta")
        < kinds.index("content_block_stop")
    )
    assert final.content[0].type == "text" and final.content[0].text
    assert (
        final.stop_reason == "max_tokens" and final.usage.output_tokens == 6 and final.usage.input_tokens > 5
    )
    whole = client(served).messages.create(
        model=model, max_tokens=6, messages=ASK, extra_body={"temperature": 0}
    )
    assert whole.content[0].text == final.content[0].text


def test_a_stop_sequence_is_reported(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    message = client(served).messages.create(
        model=model,
        max_tokens=40,
        messages=[{"role": "user", "content": "Count from 1 to 10, separated by commas."}],
        stop_sequences=[","],
        extra_body={"temperature": 0},
    )
    assert message.stop_reason == "stop_sequence" and message.stop_sequence == ","
    assert "," not in message.content[0].text


def test_a_forced_tool_use_round_trip(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    ask = [{"role": "user", "content": "What is the weather in Paris?"}]
    forced = {"type": "tool", "name": "get_weather"}
    first = client(served).messages.create(
        model=model,
        max_tokens=60,
        messages=ask,
        tools=[WEATHER],
        tool_choice=forced,
        extra_body={"temperature": 0},
    )
    assert first.stop_reason == "tool_use"
    (use,) = [block for block in first.content if block.type == "tool_use"]
    assert use.name == "get_weather" and isinstance(use.input, dict) and "city" in use.input
    follow = [
        *ask,
        {"role": "assistant", "content": [block.model_dump() for block in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "Sunny, 21 C"}],
        },
    ]
    second = client(served).messages.create(model=model, max_tokens=30, messages=follow, tools=[WEATHER])
    assert second.stop_reason in ("end_turn", "max_tokens", "tool_use")
    assert second.usage.input_tokens > first.usage.input_tokens
    # Streamed, the call arrives as a tool_use block with its input as JSON deltas.
    with client(served).messages.stream(
        model=model, max_tokens=60, messages=ask, tools=[WEATHER], tool_choice={"type": "any"}
    ) as stream:
        final = stream.get_final_message()
    (streamed,) = [block for block in final.content if block.type == "tool_use"]
    assert streamed.name == "get_weather" and "city" in streamed.input and final.stop_reason == "tool_use"


def test_structured_output(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    message = client(served).messages.create(
        model=model,
        max_tokens=30,
        messages=[{"role": "user", "content": "A number."}],
        output_config={"format": {"type": "json_schema", "schema": schema}},
    )
    assert isinstance(json.loads(message.content[0].text)["n"], int)


def test_a_wrong_key_is_refused_in_anthropics_shape(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    with pytest.raises(anthropic.AuthenticationError) as caught:
        client(served, api_key="wrong").messages.create(model=model, max_tokens=1, messages=ASK)
    assert caught.value.status_code == 401
    assert (
        caught.value.body["type"] == "error" and caught.value.body["error"]["type"] == "authentication_error"
    )


def test_models_listed_for_anthropic_clients(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    assert model in [entry.id for entry in client(served).models.list()]


def test_bad_requests_answer_anthropic_errors(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    with pytest.raises(anthropic.NotFoundError) as caught:
        client(served).messages.create(model="no-such-model", max_tokens=1, messages=ASK)
    assert caught.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError) as caught:
        client(served).messages.create(
            model=model,
            max_tokens=1,
            messages=[
                {"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "x"}}]}
            ],
        )
    assert "messages.0.content.0" in caught.value.body["error"]["message"]
    request = urllib.request.Request(
        served.base_url.removesuffix("/v1") + "/v1/messages",
        data=json.dumps({"model": model, "messages": ASK}).encode(),  # max_tokens missing
        headers={"x-api-key": API_KEY, "content-type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(request)
    body = json.loads(failed.value.read())
    assert failed.value.code == 400 and body["type"] == "error"
    assert body["error"] == {"type": "invalid_request_error", "message": body["error"]["message"]}
    assert "max_tokens" in body["error"]["message"]


def test_a_text_document_block_is_read_into_the_message(served_model: tuple[Served, str]) -> None:
    served, model = served_model
    notes = "The launch is on the ninth of March. " * 20
    document = {
        "type": "document",
        "title": "plan.md",
        "source": {"type": "text", "media_type": "text/plain", "data": notes},
    }
    question = {"type": "text", "text": "When is the launch?"}
    alone = client(served).messages.count_tokens(
        model=model, messages=[{"role": "user", "content": [question]}]
    )
    with_document = client(served).messages.count_tokens(
        model=model,
        messages=[{"role": "user", "content": [document, question]}],  # type: ignore[list-item]
    )
    assert with_document.input_tokens > alone.input_tokens + 100  # the file's text went in
    pdf = {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
    }
    with pytest.raises(anthropic.BadRequestError) as refused:
        client(served).messages.count_tokens(
            model=model,
            messages=[{"role": "user", "content": [pdf, question]}],  # type: ignore[list-item]
        )
    assert "text source" in str(refused.value)
