"""The tools' view models without a window: the MCP server form, tool call rows (live and
stored), the chat's tool picker, and what the message box understands (/tool, @mentions)."""

from __future__ import annotations

import pytest

from llamadesk.core.models.chat_history import ChatMessage
from llamadesk.core.models.commands import ToolCallEvent
from llamadesk.core.models.mcp import McpServerInfo
from llamadesk.core.models.tools import (
    ToolApprovalEvent,
    ToolCall,
    ToolCatalog,
    ToolInfo,
    ToolOutcome,
    ToolProviderInfo,
    ToolResult,
    ToolRunEvent,
)
from llamadesk.ui.viewmodels.chat_rows import ACTION_BAR, RowMetrics, conversation_rows
from llamadesk.ui.viewmodels.composer import (
    complete_mention,
    forced_tool,
    mention_at,
    mention_choices,
    slash_command,
)
from llamadesk.ui.viewmodels.mcp_servers import (
    FormError,
    ServerForm,
    add_params,
    form_of,
    import_summary,
    server_card,
    update_params,
)
from llamadesk.ui.viewmodels.tool_calls import (
    APPROVAL,
    NOT_RUN,
    RUNNING,
    fold,
    header_text,
    of_event,
    pretty_arguments,
    tool_row,
)
from llamadesk.ui.viewmodels.tool_picker import picker_providers, toggle_provider, toggle_tool

from .messages import message


def server(**fields: object) -> McpServerInfo:
    values: dict[str, object] = {
        "name": "time",
        "transport": "stdio",
        "command": "uvx",
        "args": ["mcp-server-time", "--local-timezone", "Europe/Oslo"],
        "enabled": True,
        "trusted": False,
        "allowed_tools": [],
        "state": "not connected",
        "status": "not connected",
    }
    return McpServerInfo.model_validate({**values, **fields})


# ---- the MCP server form ------------------------------------------------------------


def test_a_stdio_form_becomes_add_params() -> None:
    form = ServerForm(
        name="files",
        command=" npx ",
        args='-y @modelcontextprotocol/server-filesystem "/Users/ada/My Documents"',
        env="TOKEN=ghp_abc\n\nDEBUG = 1\n",
        headers="ignored: for stdio",
    )
    params = add_params(form)
    assert params.command == "npx" and params.transport == "stdio" and params.check
    assert params.args == ["-y", "@modelcontextprotocol/server-filesystem", "/Users/ada/My Documents"]
    assert params.env == {"TOKEN": "ghp_abc", "DEBUG": "1"}
    assert params.headers == {} and params.url is None and params.cwd is None


def test_an_http_form_becomes_add_params() -> None:
    form = ServerForm(
        name="docs", transport="http", url="https://example.com/mcp", headers="Authorization: Bearer k"
    )
    params = add_params(form)
    assert params.transport == "http" and params.url == "https://example.com/mcp"
    assert params.headers == {"Authorization": "Bearer k"} and params.command is None and params.args == []


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        (ServerForm(name="a b", command="x"), "name", "letters, digits"),
        (ServerForm(name="x", command=""), "command", "needs the program"),
        (ServerForm(name="x", command="x", args='"open'), "args", "cannot split"),
        (ServerForm(name="x", command="x", env="TOKEN"), "env", "line 1 should read NAME=value"),
        (ServerForm(name="x", transport="http"), "url", "needs its URL"),
        (ServerForm(name="x", transport="http", url="ftp://x"), "url", "starts with http"),
        (
            ServerForm(name="x", transport="http", url="http://x", headers="no colon"),
            "headers",
            "Name: value",
        ),
    ],
)
def test_a_wrong_form_says_what_is_wrong_where(form: ServerForm, field: str, words: str) -> None:
    with pytest.raises(FormError) as caught:
        add_params(form)
    assert words in caught.value.errors[field]


def test_editing_a_listed_server_sends_its_masked_secrets_back_unchanged() -> None:
    listed = server(env={"KEY": "abc****"}, trusted=True)
    form = form_of(listed)
    assert form.editing == "time" and form.env == "KEY=abc****" and form.trusted
    assert form.args == "mcp-server-time --local-timezone Europe/Oslo"
    params = update_params(form)
    assert params.name == "time" and params.env == {"KEY": "abc****"}  # the command keeps the stored value
    assert params.args == ["mcp-server-time", "--local-timezone", "Europe/Oslo"]


def test_a_server_card_says_where_it_stands() -> None:
    failed = server(
        state="failed",
        status="failed: cannot run 'uvx': no such program",
        error="cannot run 'uvx': no such program",
        env={"K": "abc****"},
    )
    card = server_card(failed)
    assert card.tone == "too big" and card.status.startswith("failed: cannot run")
    assert card.where == "uvx mcp-server-time --local-timezone Europe/Oslo" and card.env_text == "K=abc****"
    assert "Connect" in card.tools_text
    listed = server_card(
        server(
            state="connected",
            status="connected",
            tool_count=2,
            transport="http",
            url="https://x/mcp",
            command=None,
            args=[],
        )
    )
    assert listed.tone == "fits" and listed.tools_text == "2 tools" and listed.where == "https://x/mcp"
    assert import_summary(["a"], [("b", 4, "SSE servers are not supported")]) == (
        "Added a. Skipped b (line 4): SSE servers are not supported."
    )


# ---- tool call rows -----------------------------------------------------------------

CALL = ToolCall(id="c1", name="time_get_current_time", arguments='{"timezone": "Asia/Tokyo"}')


def result(outcome: ToolOutcome, **fields: object) -> ToolResult:
    return ToolResult(
        call_id="c1", name=CALL.name, provider="time", arguments=CALL.arguments, outcome=outcome, **fields
    )  # type: ignore[arg-type]


def test_a_live_call_moves_through_its_events() -> None:
    view = of_event(ToolCallEvent(index=0, call=CALL))
    assert view.state == "called" and view.provider == ""
    view = view.apply(ToolApprovalEvent(request_id="r1", call=CALL, provider="time", description="Now."))
    assert view.state == APPROVAL and view.request_id == "r1" and view.provider == "time"
    row = tool_row(view, "live", 48)
    assert row["expanded"] and row["request_id"] == "r1" and row["tone"] == "warning"
    assert row["arguments"] == '{\n  "timezone": "Asia/Tokyo"\n}'
    view = view.apply(ToolRunEvent(call=CALL, provider="time", state="running"))
    assert view.state == RUNNING and not view.request_id
    done = ToolRunEvent(
        call=CALL,
        provider="time",
        state="done",
        result=result(ToolOutcome.OK, duration_ms=12.4),
        text='{"t": 1}',
    )
    view = view.apply(done)
    assert view.final and view.result == '{"t": 1}' and header_text(view) == "Done · 12 ms"
    assert not tool_row(view, "live", 48)["expanded"]  # a finished call starts folded


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        (ToolOutcome.ERROR, "Failed"),
        (ToolOutcome.DENIED, "Denied"),
        (ToolOutcome.TIMEOUT, "Timed out"),
        (ToolOutcome.CANCELLED, "Stopped"),
    ],
)
def test_every_outcome_has_words(outcome: ToolOutcome, words: str) -> None:
    view = of_event(ToolRunEvent(call=CALL, provider="time", state="done", result=result(outcome), text="x"))
    assert header_text(view) == words


def test_long_results_fold_and_arguments_read_as_json() -> None:
    text = "\n".join(f"line {i}" for i in range(40))
    shown, folded = fold(text)
    assert folded and shown.count("\n") == 11
    assert fold("short") == ("short", False)
    assert fold("x" * 5000)[1]
    assert pretty_arguments("not json") == "not json"
    row = tool_row(
        of_event(
            ToolRunEvent(call=CALL, provider="t", state="done", result=result(ToolOutcome.OK), text=text)
        ),
        "m",
        48,
    )
    assert row["folded"] and row["result_folded"] == shown


def stored_chat() -> list[ChatMessage]:
    calling = message("a1", "assistant", "", tool_calls=[CALL], parent_id="u1")
    answered = message(
        "t1",
        "tool",
        '{"timezone": "Asia/Tokyo", "datetime": "2026-01-01T09:00:00+09:00"}',
        parent_id="a1",
        tool_result=result(ToolOutcome.OK, duration_ms=3.0, truncated=True),
    )
    return [
        message("u1", "user", "What time is it?"),
        calling,
        answered,
        message("a2", "assistant", "It is nine.", parent_id="t1"),
    ]


def test_a_stored_chat_shows_each_call_once_with_its_result() -> None:
    rows = conversation_rows(stored_chat(), {}, RowMetrics())
    kinds = [r["viewclass"] for r in rows]
    assert kinds == [
        "MessageHeader",
        "MessageBody",
        ACTION_BAR,
        "MessageHeader",  # the answer that called: no text, its name and buttons, then its call
        ACTION_BAR,
        "ToolCallRow",
        "MessageHeader",
        "MessageBody",
        ACTION_BAR,
    ]
    tool = rows[5]
    assert tool["state"] == "ok" and tool["truncated"] and tool["provider"] == "time"
    assert tool["message_id"] == "t1" and "09:00" in tool["result"] and not tool["expanded"]


def test_a_call_left_without_result_shows_as_not_run() -> None:
    messages = stored_chat()[:2]  # the app stopped before the tool ran
    rows = conversation_rows(messages, {}, RowMetrics())
    assert rows[-1]["viewclass"] == "ToolCallRow" and rows[-1]["state"] == NOT_RUN
    # On a page that ends before its result arrives, the call is not shown twice.
    assert [r["viewclass"] for r in conversation_rows(stored_chat()[:3], {}, RowMetrics())].count(
        "ToolCallRow"
    ) == 1


# ---- the chat's tool picker ---------------------------------------------------------


def catalog() -> ToolCatalog:
    def info(provider: str, tool: str) -> ToolInfo:
        return ToolInfo(name=f"{provider}_{tool}", tool=tool)

    return ToolCatalog(
        providers=[
            ToolProviderInfo(
                name="time", trusted=False, tools=[info("time", "now"), info("time", "convert")]
            ),
            ToolProviderInfo(name="hello", trusted=False, tools=[info("hello", "greet")]),
        ]
    )


def test_the_picker_ticks_providers_and_single_tools() -> None:
    servers = [server(), server(name="git", enabled=False, state="disabled", status="disabled")]
    providers = picker_providers(catalog(), servers, ["time", "hello_greet"])
    assert [p.name for p in providers] == ["time", "hello", "git"]
    time, hello, git = providers
    assert time.chosen and all(t.chosen for t in time.tools) and time.status == "2 tools"
    assert not hello.chosen and hello.tools[0].chosen
    assert not git.available and "switched off" in git.status

    chosen = toggle_tool(["time", "hello_greet"], time, "time_now", False)
    assert chosen == ["hello_greet", "time_convert"]  # the provider's other tools stay, one by one
    assert toggle_provider(chosen, time, True) == ["hello_greet", "time"]
    assert toggle_provider(["time"], time, False) == []
    assert toggle_tool([], hello, "hello_greet", True) == ["hello_greet"]


# ---- the message box ----------------------------------------------------------------


def test_slash_tool_forces_a_call() -> None:
    command = slash_command("/tool time_now What time is it\nin Tokyo?")
    assert command is not None and command.name == "tool"
    forced = forced_tool(command)
    assert forced is not None and forced.tool == "time_now" and forced.text == "What time is it\nin Tokyo?"
    assert forced_tool(slash_command("/tool time_now")) is None  # type: ignore[arg-type]
    assert slash_command("/usr/bin/env is a path") is None
    assert slash_command("plain text") is None


def test_mentions_complete_as_typed() -> None:
    text = "ask @ti"
    assert mention_at(text, len(text)) == (4, "ti")
    assert mention_at("mail me@ti", 10) is None  # an address is not a mention
    assert mention_choices("ti", ["time", "tickets", "git", "Timer"]) == ["time", "Timer", "tickets"]
    assert mention_choices("time", ["time"]) == []  # typed in full already
    assert complete_mention("ask @ti what day", 7, "time") == ("ask @time what day", 10)


def test_why_a_server_failed_is_shown_in_the_windows_language() -> None:
    """The plugin's reason is a template the window translates; what the server itself
    said stays as it said it. Without a template (or a fitting translation), English."""
    from llamadesk.ui.catalogs import use_language

    failed = server(
        state="failed",
        status="failed: cannot run 'uvx': no such program (it said: boom)",
        error="cannot run 'uvx': no such program (it said: boom)",
        reason_template="cannot run {command!r}: no such program",
        reason_values={"command": "uvx"},
        said="boom",
    )
    assert server_card(failed).status == failed.status
    use_language("es")
    try:
        assert (
            server_card(failed).status
            == "falló: no se puede ejecutar 'uvx': no existe ese programa (dijo: boom)"
        )
        unfilled = failed.model_copy(update={"reason_values": {}})
        assert server_card(unfilled).status == "falló: cannot run 'uvx': no such program (it said: boom)"
        connected = server(state="connected", status="connected")
        assert server_card(connected).status == "conectado"
    finally:
        use_language("en")
