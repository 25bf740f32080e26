"""Tools in the real window: MCP servers added, edited, switched and imported on the Tools
screen (the real `mcp-server-time`), a chat's tool picker, tool calls shown, allowed, denied
and stopped in the conversation, and stored chats showing them again.

The quick loop runs on tests/fake_backend's `scripted/tools` model (it calls the tool it is
offered) with the tutorial plugin's `hello_greet`; the last test makes the real starter model
call the real time server, allowed in the window."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import ChatTranscript
from llamadesk.core.models.chat_params import GetChatParams
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.llama import ModelParams, SamplingParams, UnloadResult
from llamadesk.core.models.mcp import McpNameParams, McpServerInfo
from llamadesk.core.models.settings import ConfigGetParams, ConfigSetParams, ConfigValue
from llamadesk.core.models.tools import ToolCatalog

from .conftest import pump

VENV_BIN = Path(sys.executable).parent
TIME_SERVER = str(VENV_BIN / "mcp-server-time")
SECRET = "time-secret-value-42"
GUARD_S = 120


def config(ui_home: Path) -> dict[str, Any]:
    return json.loads(next(ui_home.rglob("config.json")).read_text())


def add_through_screen(ui_app: Any, name: str, command: str, args: str, env: str = "") -> Any:
    """Fill the Add server form as a person would, save, and wait for the server's card."""
    screen = ui_app.screens["tools"]
    ui_app.show_screen("tools")
    screen.ids.add_button.dispatch("on_release")
    dialog = screen.dialog
    assert dialog is not None
    dialog.ids.name.text = name
    dialog.ids.command.text = command
    dialog.ids.args.text = args
    dialog.ids.env.text = env
    dialog.ids.save.dispatch("on_release")
    pump(lambda: (name in screen.cards and screen.dialog is None) or not dialog.busy, timeout=GUARD_S)
    assert screen.dialog is None, f"not saved: {dialog.note} {dict(dialog.errors)}"
    pump(lambda: name in screen.cards)
    return screen.cards[name]


def remove_server(ui_app: Any, name: str) -> None:
    if any(s.name == name for s in ui_app.screens["tools"].servers):
        ui_app.bridge.invoke("mcp.remove", McpNameParams(name=name), McpServerInfo)


@pytest.fixture
def tools(ui_app: Any) -> Iterator[Any]:
    screen = ui_app.screens["tools"]
    ui_app.show_screen("tools")
    yield screen
    for name in ("time", "files", "broken"):
        remove_server(ui_app, name)


def test_a_real_server_is_added_edited_and_switched_from_the_screen(
    tools: Any, ui_app: Any, ui_home: Path
) -> None:
    card = add_through_screen(ui_app, "time", TIME_SERVER, "--local-timezone UTC", f"TIME_KEY={SECRET}")
    pump(lambda: card.state == "connected" and card.ids.tools.children, timeout=GUARD_S)
    assert "get_current_time" in " ".join(line.name for line in card.ids.tools.children)
    assert card.env_text == "TIME_KEY=tim****"  # masked as the commands return it
    assert card.where.endswith("mcp-server-time --local-timezone UTC")
    assert "Added time with 2 tools." in tools.note
    saved = config(ui_home)["mcp"]["servers"][0]
    assert saved["env"] == {"TIME_KEY": SECRET} and saved["args"] == ["--local-timezone", "UTC"]

    # Editing shows the masked key; saving without touching it keeps the real one.
    dialog = tools.edit_server("time")
    assert dialog.ids.name.disabled and dialog.ids.env.text == "TIME_KEY=tim****"
    dialog.ids.args.text = "--local-timezone Europe/Oslo"
    dialog.ids.save.dispatch("on_release")
    pump(lambda: tools.dialog is None and "Oslo" in tools.cards["time"].where)
    saved = config(ui_home)["mcp"]["servers"][0]
    assert saved["env"] == {"TIME_KEY": SECRET} and saved["args"] == ["--local-timezone", "Europe/Oslo"]

    card = tools.cards["time"]
    card.ids.enabled.active = False
    pump(lambda: tools.cards["time"].state == "disabled")
    assert not config(ui_home)["mcp"]["servers"][0]["enabled"]
    tools.cards["time"].ids.enabled.active = True
    pump(lambda: tools.cards["time"].state != "disabled")
    tools.cards["time"].ids.connect.dispatch("on_release")
    pump(lambda: tools.cards["time"].state == "connected", timeout=GUARD_S)
    shown = tools.cards["time"]
    tools.refresh()  # shown again: a connected server's tools are listed without reconnecting
    pump(lambda: tools.cards["time"] is not shown)
    pump(lambda: tools.cards["time"].ids.tools.children)


def test_the_form_shows_what_is_wrong_and_saves_nothing(tools: Any, ui_app: Any, ui_home: Path) -> None:
    tools.ids.add_button.dispatch("on_release")
    dialog = tools.dialog
    dialog.ids.name.text = "bad name"
    dialog.ids.save.dispatch("on_release")
    pump(frames=2)
    assert "letters, digits" in dialog.errors["name"] and dialog.ids.name.error
    assert "needs the program" in dialog.errors["command"]

    dialog.ids.name.text = "broken"
    dialog.ids.command.text = "no-such-program-llamadesk"
    dialog.ids.save.dispatch("on_release")
    pump(lambda: not dialog.busy, timeout=GUARD_S)
    assert "cannot run 'no-such-program-llamadesk'" in dialog.note and "nothing was saved" in dialog.note
    assert tools.dialog is dialog  # still open, to fix it
    dialog.dismiss()
    tools.dialog = None
    assert all(s["name"] != "broken" for s in config(ui_home).get("mcp", {}).get("servers", []))


def test_an_mcp_servers_json_is_imported(tools: Any, ui_app: Any) -> None:
    pasted = {
        "mcpServers": {
            "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]},
            "events": {"url": "https://example.com/sse", "type": "sse"},
        }
    }
    dialog = tools.import_text()
    dialog.ids.field.text = json.dumps(pasted, indent=2)
    dialog.ids.ok.dispatch("on_release")
    pump(lambda: "files" in tools.cards)
    assert tools.note.startswith("Added files. Skipped events (line 11): SSE servers are not supported")
    assert not tools.note.endswith("..")
    assert tools.cards["files"].state == "not connected"  # importing starts nothing


# ---- the conversation ----------------------------------------------------------------


@pytest.fixture
def tool_chat(ui_app: Any) -> Iterator[Any]:
    chat = ui_app.screens["chat"]
    ui_app.show_screen("chat")
    chat.new_chat()
    chat.load_model("scripted/tools")
    pump(lambda: chat.model_state == "ready")
    yield chat
    chat.stop()
    pump(lambda: not chat.streaming)
    ui_app.commands.invoke("config.set", ConfigSetParams(values={"tools.always_allowed": []}))
    ui_app.bridge.invoke("runtime.unload", ModelParams(model="scripted/tools"), UnloadResult)
    ui_app.refresh_status()
    pump(lambda: chat.model_state == "")


def tool_rows(chat: Any) -> list[dict[str, Any]]:
    return [r for r in chat.ids.messages.data if r["viewclass"] == "ToolCallRow"]


def tool_view(chat: Any, call_id: str) -> Any:
    """The ToolCallRow widget showing a call, once the list laid it out."""
    from llamadesk.ui.widgets.message_views import ToolCallRow

    views = chat.ids.messages.layout_manager.view_indices
    return next((v for v in views if isinstance(v, ToolCallRow) and v.call_id == call_id), None)


def send(chat: Any, text: str) -> None:
    pump(lambda: chat.model_state == "ready")  # not still writing the chat's title
    chat.ids.composer.text = text
    chat.ids.composer.dispatch("on_submit")
    assert chat.streaming, (chat.model_state, chat.live, chat.hint)


def answer_call(chat: Any, button: str) -> dict[str, Any]:
    """Wait for the call's approval row, press one of its buttons, return the row."""
    pump(lambda: tool_rows(chat) and tool_rows(chat)[-1]["state"] == "approval", timeout=GUARD_S)
    row = tool_rows(chat)[-1]
    pump(
        lambda: (
            tool_view(chat, row["call_id"]) is not None
            and tool_view(chat, row["call_id"]).state == "approval"
        )
    )
    view = tool_view(chat, row["call_id"])
    assert view.height > 48 * 2  # open: its arguments and the three buttons show
    assert view.ids.approval.height > 0
    view.ids[button].dispatch("on_release")
    return row


def test_picked_tools_are_offered_asked_for_and_shown(tool_chat: Any, ui_app: Any) -> None:
    chat = tool_chat
    picker = chat.open_tool_picker()
    # The tutorial plugin is the provider of `greet` (named after the plugin as it was loaded).
    pump(lambda: any(t.tool == "greet" for p in picker.providers for t in p.tools), timeout=GUARD_S)
    hello = next(p for p in picker.providers if any(t.tool == "greet" for t in p.tools))
    hello_row = next(w for w in picker.ids.providers.children if getattr(w, "name", "") == hello.name)
    hello_row.ids.check.active = True
    assert picker.chosen == [hello.name]
    picker.ids.done.dispatch("on_release")
    assert chat.session_tools == [hello.name] and chat.ids.tools_button.text == "Tools (1)"

    send(chat, "Greet someone for me")
    row = answer_call(chat, "allow_once")
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    pump(lambda: [m.role for m in chat.messages] == [Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT])
    assert chat.messages[-1].content == "The tool said: Hello, Ada!"
    (shown,) = tool_rows(chat)
    assert shown["state"] == "ok" and shown["result"] == "Hello, Ada!" and shown["call_id"] == row["call_id"]
    assert shown["state_text"].startswith("Done · ")
    transcript = ui_app.bridge.invoke("chat.get", GetChatParams(session_id=chat.session_id), ChatTranscript)
    assert transcript.session.tools == [hello.name]  # picked before the first message, kept by the chat

    # Opened, a finished call shows its arguments and result.
    pump(lambda: tool_view(chat, shown["call_id"]) is not None)
    view = tool_view(chat, shown["call_id"])
    folded = view.height
    view.ids.header.dispatch("on_release")
    pump(lambda: tool_view(chat, shown["call_id"]).height > folded)

    send(chat, "Greet again")
    answer_call(chat, "deny")
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    pump(lambda: len(tool_rows(chat)) == 2 and tool_rows(chat)[-1]["state"] == "denied")
    assert tool_rows(chat)[-1]["state_text"] == "Denied"

    send(chat, "And once more")
    answer_call(chat, "allow_always")
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    allowed = ui_app.bridge.invoke("config.get", ConfigGetParams(key="tools.always_allowed"), ConfigValue)
    assert allowed.value == [f"{hello.name}_greet"]
    send(chat, "No need to ask now")
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    pump(lambda: len(tool_rows(chat)) == 4)
    assert [r["state"] for r in tool_rows(chat)] == ["ok", "denied", "ok", "ok"]

    # Reopened, the stored chat shows the same calls with their results.
    session = chat.session_id
    chat.new_chat()
    chat.open_session(session)
    pump(lambda: len(tool_rows(chat)) == 4)
    assert [r["state"] for r in tool_rows(chat)] == ["ok", "denied", "ok", "ok"]
    assert tool_rows(chat)[0]["result"] == "Hello, Ada!"


def test_escape_stops_a_call_waiting_for_approval(tool_chat: Any, ui_app: Any) -> None:
    from kivy.core.window import Window

    chat = tool_chat
    catalog = ui_app.bridge.invoke("tools.list", Empty(), ToolCatalog)
    greet = next(t.name for p in catalog.providers for t in p.tools if t.tool == "greet")
    send(chat, f"/tool {greet} Say hello")  # forced: offered for this message, and called
    pump(lambda: tool_rows(chat) and tool_rows(chat)[-1]["state"] == "approval", timeout=GUARD_S)
    Window.dispatch("on_key_down", 27, 0, "", [])
    pump(lambda: not chat.streaming, timeout=GUARD_S)
    pump(lambda: tool_rows(chat) and tool_rows(chat)[-1]["state"] == "cancelled")
    assert tool_rows(chat)[-1]["state_text"] == "Stopped"
    assert chat.messages[0].content == "Say hello"


def test_at_mentions_complete_in_the_message_box(tool_chat: Any, ui_app: Any) -> None:
    chat = tool_chat
    chat.mention_names = ["hello", "time"]
    composer = chat.ids.composer
    composer.text = "ask @he"
    composer.cursor = (len(composer.text), 0)
    chat.on_composer_text()
    assert chat.mention_suggestions == ["@hello"]
    assert chat.complete_first_mention()  # what Tab does
    assert composer.text == "ask @hello "
    assert chat.mention_suggestions == []
    composer.text = ""


# ---- the real model and the real server ------------------------------------------------


@pytest.mark.slow
def test_the_starter_model_calls_the_real_time_server_allowed_in_the_window(
    tools: Any, ui_app: Any, starter_model: Path
) -> None:
    card = add_through_screen(ui_app, "time", TIME_SERVER, "--local-timezone UTC")
    pump(lambda: card.state == "connected", timeout=GUARD_S)
    chat = ui_app.screens["chat"]
    ui_app.show_screen("chat")
    chat.new_chat()
    chat.load_model(str(starter_model))
    pump(lambda: chat.model_state in ("ready", "error"), timeout=GUARD_S)
    assert chat.model_state == "ready", chat.hint
    chat.sampling = SamplingParams(temperature=0, max_tokens=48, seed=1)
    try:
        picker = chat.open_tool_picker()
        pump(lambda: any(p.name == "time" and p.tools for p in picker.providers), timeout=GUARD_S)
        # "Call now" on the tool: the message box gets /tool NAME, the next message forces it.
        line = next(
            w for w in picker.ids.providers.children if getattr(w, "name", "") == "time_get_current_time"
        )
        line.ids.call.dispatch("on_release")
        assert chat.ids.composer.text == "/tool time_get_current_time "
        chat.ids.composer.text += "What time is it in Tokyo?"
        chat.ids.composer.dispatch("on_submit")
        pump(lambda: chat.streaming)
        answer_call(chat, "allow_once")
        pump(lambda: not chat.streaming, timeout=GUARD_S)
        pump(
            lambda: [m.role for m in chat.messages] == [Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT]
        )
        (row,) = tool_rows(chat)
        assert row["name"] == "time_get_current_time" and row["provider"] == "time"
        assert row["state"] in ("ok", "error") and row["result"]  # the server answered, or said what is wrong
        assert chat.messages[-1].role is Role.ASSISTANT and chat.messages[-1].parent_id == chat.messages[2].id
        kinds = [r["viewclass"] for r in chat.ids.messages.data]
        assert kinds.index("ToolCallRow") < len(kinds) - 2  # the answer after the call is shown below it
    finally:
        chat.sampling = None
        chat.stop()
        pump(lambda: not chat.streaming)
        ui_app.commands.invoke("runtime.unload", ModelParams(model=str(starter_model)))
