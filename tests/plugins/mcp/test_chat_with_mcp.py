"""The whole loop against a real MCP server: the real starter model is made to call
`mcp-server-time`'s tool (tool_choice names it, through the grammar path; the model is
too small to choose one), the user allows it, the real server answers, the result is
stored, the model answers after it, and the chat keeps all of it."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from pydantic import BaseModel

from llamadesk.core.app import App
from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import ChatReply
from llamadesk.core.models.tools import ToolApprovalEvent, ToolOutcome, ToolRunEvent

from .conftest import VENV_BIN, add

pytestmark = pytest.mark.slow

GREEDY = {"temperature": 0, "max_tokens": 48, "seed": 1}


def test_the_model_calls_a_real_server_and_answers_with_its_result(app: App, starter_model: Path) -> None:
    app.commands.invoke("config.set", {"values": {"load.threads": 2, "load.context_size": 2048}})
    add(
        app,
        {"name": "time", "command": str(VENV_BIN / "mcp-server-time"), "args": ["--local-timezone", "UTC"]},
    )
    events: list[BaseModel] = []

    def on_event(event: BaseModel) -> None:
        events.append(event)
        if isinstance(event, ToolApprovalEvent):  # read-only, but the server is not trusted: asked
            threading.Thread(
                target=app.commands.invoke,
                args=("tools.approve", {"request_id": event.request_id, "decision": "once"}),
            ).start()

    reply = app.commands.invoke(
        "chat.send",
        {
            "content": "What time is it in Tokyo? @time",
            "model": str(starter_model),
            "sampling": GREEDY,
            "tool_choice": {"name": "time_get_current_time"},
        },
        on_event=on_event,
    )
    assert isinstance(reply, ChatReply)
    calling, result = reply.steps
    (call,) = calling.tool_calls
    assert call.name == "time_get_current_time"
    assert result.tool_result.provider == "time"
    # The small model writes some timezone; the real server answers it, or says what is wrong.
    if result.tool_result.outcome is ToolOutcome.OK:
        assert json.loads(result.content)["timezone"] == json.loads(call.arguments)["timezone"]
    else:
        assert result.tool_result.outcome is ToolOutcome.ERROR and result.content
    assert reply.message.role is Role.ASSISTANT and reply.message.parent_id == result.id
    done = [e for e in events if isinstance(e, ToolRunEvent) and e.state == "done"]
    assert done and done[0].result.duration_ms is not None

    shown = app.commands.invoke("chat.get", {"session_id": reply.session_id})
    assert [m.role for m in shown.messages] == [Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT]
    exported = app.commands.invoke("chat.export", {"session_id": reply.session_id, "format": "markdown"})
    assert "time_get_current_time" in exported.content
