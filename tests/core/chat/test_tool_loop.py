"""The chat's tool loop: a call is approved (or not), run, stored with its result, and the model
answers again; failures, timeouts, denials, stops and huge results all end in a stored answer.

The model is a scripted generator (it calls the tools the test says); the tools are real
plain-Python tools behind the real tool service, and the store is the real SQLite one.
Real MCP servers are tested in tests/plugins/mcp, the real model in test_chat_tools_runtime.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from llamadesk.core.errors import InvalidParams
from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import ChatStartedEvent, SearchQuery
from llamadesk.core.models.llama import GenerateRequest, GenerationResult, StopReason
from llamadesk.core.models.tools import (
    ApprovalDecision,
    PluginTool,
    ToolApprovalEvent,
    ToolCall,
    ToolOutcome,
    ToolRunEvent,
)
from llamadesk.core.services.chat import ChatService, ToolRequest
from llamadesk.core.services.config import ConfigService
from llamadesk.core.services.function_tools import FunctionToolProvider
from llamadesk.core.services.tools import ToolService
from llamadesk.core.streaming import CancelToken
from llamadesk.plugins.sqlite import SQLiteChatStore

HANG_GUARD_S = 10


class ToolCallingModel:
    """Calls `plan[i]` (a list of (tool, arguments)) on its i-th generation, then answers
    with the last tool result it was given."""

    def __init__(self) -> None:
        self.plan: list[list[tuple[str, dict[str, object]]]] = []
        self.requests: list[GenerateRequest] = []

    def __call__(self, request: GenerateRequest, on_event, token: CancelToken | None) -> GenerationResult:
        self.requests.append(request)
        step = len(self.requests) - 1
        if step < len(self.plan) and request.tools:
            calls = [
                ToolCall(id=f"call_{step}_{i}", name=name, arguments=json.dumps(args))
                for i, (name, args) in enumerate(self.plan[step])
            ]
            return GenerationResult(
                model=request.model, content="", stop_reason=StopReason.TOOL_CALLS, tool_calls=calls
            )
        last = request.messages[-1]
        text = f"The tool said: {last.content}" if last.role is Role.TOOL else "plain answer"
        return GenerationResult(model=request.model, content=text, stop_reason=StopReason.STOP)


def clock(arguments: dict[str, object]) -> str:
    return f"12:00 in {arguments['city']}"


def slow(arguments: dict[str, object]) -> str:
    time.sleep(float(arguments.get("seconds", 5)))  # type: ignore[arg-type]
    return "finally"


def broken(arguments: dict[str, object]) -> str:
    raise RuntimeError("the sensor is unplugged")


TOOLS = [
    PluginTool(
        name="clock",
        description="The time in a city.",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        handler=clock,
        read_only=True,
    ),
    PluginTool(
        name="slow",
        handler=slow,
        parameters={"type": "object", "properties": {"seconds": {"type": "number"}}},
    ),
    PluginTool(name="broken", handler=broken),
    PluginTool(name="huge", handler=lambda _args: "x" * 200_000),
]


@pytest.fixture
def model() -> ToolCallingModel:
    return ToolCallingModel()


@pytest.fixture
def config(tmp_path) -> ConfigService:
    service = ConfigService(tmp_path / "config.json")
    service.update({"chat.generate_titles": False, "tools.call_timeout_seconds": 0.5})
    return service


@pytest.fixture
def tools(config: ConfigService) -> Iterator[ToolService]:
    provider = FunctionToolProvider("demo", TOOLS)
    service = ToolService(
        providers=lambda: [provider],
        settings=lambda: config.config.tools,
        allow_always=lambda name: config.update(
            {"tools.always_allowed": [*config.config.tools.always_allowed, name]}
        ),
    )
    yield service
    service.close()


@pytest.fixture
def chat(tmp_path, config, model, tools) -> Iterator[ChatService]:
    store = SQLiteChatStore(tmp_path / "chats.db")
    service = ChatService(store, config, model, tools=tools)
    yield service
    service.close()


def approving(chat: ChatService, decision: ApprovalDecision, seen: list[BaseModel]):
    """An event sink that answers every approval request like a user clicking `decision`."""

    def on_event(event: BaseModel) -> None:
        seen.append(event)
        if isinstance(event, ToolApprovalEvent):
            threading.Thread(target=chat._tools.approvals.decide, args=(event.request_id, decision)).start()

    return on_event


def test_a_call_is_asked_run_stored_and_answered(chat: ChatService, model: ToolCallingModel) -> None:
    model.plan = [[("demo_slow", {"seconds": 0})]]
    session = chat.new_session(model="m")
    seen: list[BaseModel] = []
    reply = chat.send(
        session.id,
        "wait a bit",
        tools=ToolRequest(tools=["demo"]),
        on_event=approving(chat, ApprovalDecision.ONCE, seen),
    )
    assert reply.message.content == "The tool said: finally"
    calling, result = reply.steps
    assert calling.role is Role.ASSISTANT and calling.tool_calls[0].name == "demo_slow"
    assert result.role is Role.TOOL and result.content == "finally"
    assert (
        result.tool_result
        and result.tool_result.outcome is ToolOutcome.OK
        and result.tool_result.provider == "demo"
    )
    kinds = [type(e).__name__ for e in seen if not type(e).__name__.startswith("Token")]
    assert kinds.index("ToolApprovalEvent") < kinds.index("ToolRunEvent")
    starts = [e for e in seen if isinstance(e, ChatStartedEvent)]
    assert [s.step for s in starts] == [0, 1] and starts[1].user_message_id == result.id
    # Stored as a branch: question -> call -> result -> answer, and the prompt saw the tool turn.
    transcript = chat.transcript(session.id)
    assert [m.role for m in transcript.messages] == [Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT]
    assert model.requests[1].messages[-1].tool_call_id == "call_0_0"
    assert [t.name for t in model.requests[0].tools] == [
        "demo_clock",
        "demo_slow",
        "demo_broken",
        "demo_huge",
    ]


def test_trusted_read_only_and_always_allowed_tools_run_without_asking(chat, model, tools, config) -> None:
    trusted = FunctionToolProvider("demo", TOOLS, trusted=True)
    tools._providers = lambda: [trusted]
    model.plan = [[("demo_clock", {"city": "Oslo"})]]
    seen: list[BaseModel] = []
    session = chat.new_session(model="m")
    reply = chat.send(session.id, "time?", tools=ToolRequest(tools=["demo"]), on_event=seen.append)
    assert reply.message.content == "The tool said: 12:00 in Oslo"
    assert not any(isinstance(e, ToolApprovalEvent) for e in seen)
    # "Always" is remembered in the settings, and the next call is not asked.
    model.requests.clear()
    model.plan = [[("demo_slow", {"seconds": 0})], [("demo_slow", {"seconds": 0})]]
    asked: list[BaseModel] = []
    chat.send(
        session.id,
        "again",
        tools=ToolRequest(tools=["demo"]),
        on_event=approving(chat, ApprovalDecision.ALWAYS, asked),
    )
    assert config.config.tools.always_allowed == ["demo_slow"]
    assert sum(isinstance(e, ToolApprovalEvent) for e in asked) == 1


def test_a_denied_call_is_told_to_the_model(chat, model) -> None:
    model.plan = [[("demo_slow", {"seconds": 0})]]
    session = chat.new_session(model="m")
    reply = chat.send(
        session.id,
        "go",
        tools=ToolRequest(tools=["demo"]),
        on_event=approving(chat, ApprovalDecision.DENY, []),
    )
    result = reply.steps[1]
    assert result.tool_result.outcome is ToolOutcome.DENIED
    assert reply.message.content == "The tool said: The user denied this call; it was not run."


@pytest.mark.parametrize(
    ("call", "outcome", "says"),
    [
        (("demo_broken", {}), ToolOutcome.ERROR, "RuntimeError: the sensor is unplugged"),
        (("demo_slow", {"seconds": 5}), ToolOutcome.TIMEOUT, "did not answer within 0.5 seconds"),
        (("demo_clock", {"town": "Oslo"}), ToolOutcome.ERROR, "'city' is a required property"),
        (("demo_nope", {}), ToolOutcome.ERROR, "There is no tool named 'demo_nope'"),
    ],
)
def test_failures_go_back_to_the_model_and_the_chat_goes_on(chat, model, call, outcome, says) -> None:
    model.plan = [[call]]
    session = chat.new_session(model="m")
    started = time.monotonic()
    reply = chat.send(session.id, "go", tools=ToolRequest(tools=["demo"], approve_all=True))
    assert time.monotonic() - started < HANG_GUARD_S
    result = reply.steps[1]
    assert result.tool_result.outcome is outcome and says in result.content
    assert reply.message.content.startswith("The tool said: ") and says in reply.message.content


def test_a_huge_result_is_cut_for_the_model_and_kept_whole(chat, model) -> None:
    model.plan = [[("demo_huge", {})]]
    session = chat.new_session(model="m")
    reply = chat.send(session.id, "go", tools=ToolRequest(tools=["demo"], approve_all=True))
    result = reply.steps[1]
    assert len(result.content) == 200_000 and not result.tool_result.truncated
    seen_by_model = model.requests[1].messages[-1].content
    assert (
        seen_by_model.startswith("x" * 16_000)
        and "only its first 16,000 characters are shown" in seen_by_model
    )


def test_stopping_during_a_call_stops_the_tool_and_the_answer(chat, model) -> None:
    model.plan = [[("demo_slow", {"seconds": 30})]]
    chat._config.update({"tools.call_timeout_seconds": 60})
    session = chat.new_session(model="m")
    seen: list[BaseModel] = []
    done: dict[str, object] = {}

    def on_event(event: BaseModel) -> None:
        seen.append(event)
        if isinstance(event, ToolRunEvent) and event.state == "running":
            threading.Timer(0.05, chat.stop, args=(session.id,)).start()

    worker = threading.Thread(
        target=lambda: done.update(
            reply=chat.send(
                session.id, "go", tools=ToolRequest(tools=["demo"], approve_all=True), on_event=on_event
            )
        )
    )
    started = time.monotonic()
    worker.start()
    worker.join(HANG_GUARD_S)
    assert time.monotonic() - started < 5
    reply = done["reply"]
    assert reply.steps[1].tool_result.outcome is ToolOutcome.CANCELLED
    assert len(model.requests) == 1  # no answer after a stop


def test_rounds_are_limited_then_the_model_must_answer(chat, model) -> None:
    chat._config.update({"tools.max_rounds": 2})
    model.plan = [[("demo_slow", {"seconds": 0})]] * 5
    session = chat.new_session(model="m")
    reply = chat.send(session.id, "loop", tools=ToolRequest(tools=["demo"], approve_all=True))
    assert len(model.requests) == 3 and model.requests[2].tools == []
    assert reply.message.stop_reason is StopReason.STOP and len(reply.steps) == 4


def test_mentions_and_the_chats_own_tools(chat, model) -> None:
    session = chat.new_session(model="m")
    chat.send(session.id, "ask @demo about it")
    assert [t.name for t in model.requests[-1].tools][:1] == ["demo_clock"]
    chat.send(session.id, "and an e-mail like me@demo.org is not a mention")
    assert model.requests[-1].tools == []
    chat.update_session(session.id, tools=["demo_clock"])
    chat.send(session.id, "the chat's tools")
    assert [t.name for t in model.requests[-1].tools] == ["demo_clock"]
    with pytest.raises(InvalidParams, match="no tool or tool provider named 'dmeo'"):
        chat.send(session.id, "typo", tools=ToolRequest(tools=["dmeo"]))
    with pytest.raises(InvalidParams, match="offers no tools"):
        chat.send(session.id, "forced", tools=ToolRequest(tools=[], choice="required"))


def test_tool_steps_are_exported_searched_and_regenerated(chat, model) -> None:
    model.plan = [[("demo_clock", {"city": "Lima"})]]
    session = chat.new_session(model="m")
    reply = chat.send(session.id, "time in Lima?", tools=ToolRequest(tools=["demo"], approve_all=True))
    exported = json.loads(chat.export(session.id, "json"))
    tool_message = next(m for m in exported["messages"] if m["role"] == "tool")
    assert tool_message["tool_result"]["name"] == "demo_clock" and tool_message["content"] == "12:00 in Lima"
    assert "demo_clock" in chat.export(session.id, "markdown")
    hits = chat.search(SearchQuery(text="Lima")).hits
    assert {h.role for h in hits} == {Role.USER, Role.TOOL, Role.ASSISTANT}  # the answer quotes it
    again = chat.regenerate(session.id)  # the final answer again, from the tool result
    assert (
        again.message.parent_id == reply.message.parent_id and again.message.content == reply.message.content
    )
