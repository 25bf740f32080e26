"""The tool loop with the real starter model and a real plugin's tool (the tutorial plugin's
`hello_greet`). The model is too small to choose a tool on its own, so the call is forced
(tool_choice names it, through the grammar path); everything after is the real loop:
approval through tools.approve, the tool run, the result stored, the model answering."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from llamadesk.core.app import App
from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import ChatReply
from llamadesk.core.models.tools import ToolApprovalEvent, ToolOutcome
from llamadesk.core.paths import AppPaths
from llamadesk.core.plugins import DEFAULT_PLUGINS

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).parents[3] / "examples" / "hello-plugin"
GREEDY = {"temperature": 0, "max_tokens": 48, "seed": 1}


@pytest.fixture
def hello_app(paths: AppPaths, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.syspath_prepend(str(EXAMPLE))
    sys.modules.pop("llamadesk_hello", None)
    app = App(paths, load_entrypoints=False, default_plugins=(*DEFAULT_PLUGINS, "llamadesk_hello")).start()
    app.commands.invoke("config.set", {"values": {"load.threads": 2, "load.context_size": 2048}})
    yield app
    app.close()


def test_a_forced_call_is_approved_run_stored_and_answered(hello_app: App, starter_model: Path) -> None:
    events: list[BaseModel] = []

    def on_event(event: BaseModel) -> None:
        events.append(event)
        if isinstance(event, ToolApprovalEvent):  # the user clicks "once"
            threading.Thread(
                target=hello_app.commands.invoke,
                args=("tools.approve", {"request_id": event.request_id, "decision": "once"}),
            ).start()

    reply = hello_app.commands.invoke(
        "chat.send",
        {
            "content": "Please greet Ada.",
            "model": str(starter_model),
            "sampling": GREEDY,
            "tools": ["llamadesk_hello"],  # the plugin as registered here (installed: `hello`)
            "tool_choice": {"name": "llamadesk_hello_greet"},
        },
        on_event=on_event,
    )
    assert isinstance(reply, ChatReply)
    calling, result = reply.steps
    (call,) = calling.tool_calls
    assert call.name == "llamadesk_hello_greet"
    assert result.role is Role.TOOL and result.tool_result.outcome is ToolOutcome.OK
    assert result.content.startswith("Hello, ") and result.content.endswith("!")
    assert reply.message.role is Role.ASSISTANT and reply.message.content.strip()
    assert sum(isinstance(e, ToolApprovalEvent) for e in events) == 1

    shown = hello_app.commands.invoke("chat.get", {"session_id": reply.session_id})
    assert [m.role for m in shown.messages] == [Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT]
    assert shown.messages[1].tool_calls == [call]
