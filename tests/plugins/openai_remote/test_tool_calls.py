"""Tools passed through to a remote server, and its tool calls mapped back, against
llama-cpp-python's real server (its default chat handler answers a named tool_choice
with a grammar-constrained call, stream or not)."""

from __future__ import annotations

import json

from openai import OpenAI

from llamadesk.core.app import App
from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.llama import GenerateRequest, SamplingParams, StopReason
from llamadesk.core.models.tools import NamedToolChoice, ToolCall, ToolDefinition
from llamadesk.core.streaming import CancelToken
from llamadesk.lib.openai_api import ToolCallDelta
from llamadesk.plugins.openai_remote.client import OpenAIClient, chat_body
from llamadesk.plugins.openai_remote.tool_wire import ToolCallAccumulator

from .conftest import SERVER_KEY, RunningServer
from .test_remote_backend import add_remote

WEATHER = ToolDefinition(
    name="get_weather",
    description="The current weather in a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
ASK = [ChatTurn(role=Role.USER, content="What is the weather in Paris?")]
CALL = ToolCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}')
HISTORY = [
    *ASK,
    ChatTurn(role=Role.ASSISTANT, content="", tool_calls=[CALL]),
    ChatTurn(role=Role.TOOL, content="21 C, sunny", tool_call_id="call_1", name="get_weather"),
]


def request(messages: list[ChatTurn], **tools: object) -> GenerateRequest:
    sampling = SamplingParams(temperature=0, max_tokens=40, seed=1)
    return GenerateRequest(model="@box/smollm2", messages=messages, sampling=sampling, **tools)


def test_the_request_carries_tools_choice_and_tool_turns() -> None:
    body = chat_body(request(HISTORY, tools=[WEATHER], tool_choice=NamedToolChoice(name="get_weather")), "m")
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": WEATHER.description,
                "parameters": WEATHER.parameters,
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body["messages"][1] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    }
    assert body["messages"][2] == {
        "role": "tool",
        "content": "21 C, sunny",
        "tool_call_id": "call_1",
        "name": "get_weather",
    }
    assert chat_body(request(ASK, tools=[WEATHER], tool_choice="required"), "m")["tool_choice"] == "required"
    plain = chat_body(request(ASK), "m")
    assert (
        "tools" not in plain
        and "tool_choice" not in plain
        and plain["messages"] == [{"role": "user", "content": ASK[0].content}]
    )


def test_streamed_pieces_are_joined_by_index() -> None:
    def piece(index: int, **fields: object) -> ToolCallDelta:
        return ToolCallDelta.model_validate({"index": index, **fields})

    joined = ToolCallAccumulator()
    # OpenAI: id and name in the first piece only; two calls interleaved.
    joined.feed([piece(0, id="a", type="function", function={"name": "f", "arguments": ""})])
    joined.feed([piece(1, id="b", type="function", function={"name": "g", "arguments": '{"y"'})])
    joined.feed([piece(0, function={"arguments": '{"x": '}), piece(1, function={"arguments": ": 2}"})])
    joined.feed([piece(0, function={"arguments": "1}"})])
    assert joined.calls() == [
        ToolCall(id="a", name="f", arguments='{"x": 1}'),
        ToolCall(id="b", name="g", arguments='{"y": 2}'),
    ]
    # llama-cpp-python repeats the id and name in every piece.
    repeated = ToolCallAccumulator()
    for part in ('{"x"', ": 1}"):
        repeated.feed([piece(0, id="c", function={"name": "f", "arguments": part})])
    assert repeated.calls() == [ToolCall(id="c", name="f", arguments='{"x": 1}')]


def test_a_remote_tool_call_comes_back_as_the_cores(llama_cpp_server: RunningServer) -> None:
    client = OpenAIClient(llama_cpp_server.base_url, SERVER_KEY)
    events: list[object] = []
    forced = request(ASK, tools=[WEATHER], tool_choice=NamedToolChoice(name="get_weather"))
    result = client.chat(forced, "smollm2", events.append, CancelToken())
    (call,) = result.tool_calls
    assert call.name == "get_weather" and call.id
    assert isinstance(json.loads(call.arguments)["city"], str)
    assert result.stop_reason is StopReason.TOOL_CALLS
    assert [e for e in events if isinstance(e, ToolCallEvent)] == [ToolCallEvent(index=0, call=call)]
    assert result.usage.completion_tokens > 0


def test_a_tool_result_is_sent_back_and_answered(llama_cpp_server: RunningServer) -> None:
    client = OpenAIClient(llama_cpp_server.base_url, SERVER_KEY)
    events: list[object] = []
    result = client.chat(request(HISTORY, tools=[WEATHER]), "smollm2", events.append, CancelToken())
    assert result.content and result.tool_calls == []
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == result.content


def test_the_api_server_passes_tools_through_to_a_remote(app: App, llama_cpp_server: RunningServer) -> None:
    model = add_remote(app, llama_cpp_server)
    status = app.commands.invoke("server.start", {"port": 0}).model_dump()
    try:
        client = OpenAI(base_url=status["url"], api_key="unused", max_retries=0)
        tools: list = [{"type": "function", "function": WEATHER.model_dump()}]
        choice: dict = {"type": "function", "function": {"name": "get_weather"}}
        messages: list = [{"role": "user", "content": ASK[0].content}]
        answer = client.chat.completions.create(
            model=model, messages=messages, tools=tools, tool_choice=choice, temperature=0, max_tokens=40
        )
        assert answer.choices[0].finish_reason == "tool_calls"
        (call,) = answer.choices[0].message.tool_calls or []
        assert call.function.name == "get_weather" and isinstance(json.loads(call.function.arguments), dict)
        stream = client.chat.completions.create(
            model=model, messages=messages, tools=tools, tool_choice=choice, max_tokens=40, stream=True
        )
        chunks = list(stream)
        pieces = [p for c in chunks if c.choices for p in c.choices[0].delta.tool_calls or []]
        assert [p.function.name for p in pieces if p.function] == ["get_weather"]
        assert chunks[-1].choices[0].finish_reason == "tool_calls"
    finally:
        app.commands.invoke("server.stop")
