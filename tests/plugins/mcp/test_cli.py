"""`llamadesk mcp ...` run as a user runs it, and `llamadesk mcp serve` driven by the SDK's
own stdio client, as another agent would."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.cli.helpers import BIN, cli_env, run_cli

from .conftest import TOYS, VENV_BIN

TIME = str(VENV_BIN / "mcp-server-time")


def test_add_list_tools_rm(home: Path) -> None:
    added = run_cli(
        "mcp",
        "add",
        "--env",
        "TZ_TOKEN=abcdefghijklmnop",
        "time",
        "--",
        TIME,
        "--local-timezone",
        "UTC",
        home=home,
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines()[0] == f"added time (stdio: {TIME} --local-timezone UTC), 2 tools"
    assert "  get_current_time  [read-only]  Get current time in a specific timezone" in added.stdout

    listed = run_cli("mcp", "list", home=home)
    assert listed.stdout.strip() == f"time  not connected  stdio: {TIME} --local-timezone UTC"
    as_json = run_cli("mcp", "--json", "list", home=home).stdout
    assert (
        json.loads(as_json)["servers"][0]["env"] == {"TZ_TOKEN": "abc****"}
        and "abcdefghijklmnop" not in as_json
    )

    tools = run_cli("mcp", "tools", "time", home=home)
    assert tools.returncode == 0 and tools.stdout.startswith("time: connected\n  get_current_time")

    again = run_cli("mcp", "add", "time", "--", TIME, home=home)
    assert (
        again.returncode == 1
        and again.stderr.strip() == "error: an MCP server named 'time' exists; remove it first"
    )

    assert run_cli("mcp", "rm", "time", home=home).stdout.strip() == "removed time"
    assert run_cli("mcp", "list", home=home).stdout.startswith("no MCP servers")


def test_failures_are_one_line(home: Path) -> None:
    wrong = run_cli("mcp", "add", "typo", "--", "no-such-mcp-server", home=home)
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == (
        "error: the MCP server 'typo' does not work: cannot run 'no-such-mcp-server': no such program; "
        "nothing was saved (add it without the check to save it anyway)"
    )
    saved = run_cli("mcp", "add", "--no-check", "typo", "--", "no-such-mcp-server", home=home)
    assert saved.returncode == 0 and saved.stdout.strip() == "added typo (stdio: no-such-mcp-server)"
    tools = run_cli("mcp", "tools", "typo", home=home)
    assert tools.returncode == 1
    assert tools.stderr.strip() == (
        "error: the MCP server 'typo' is not available: cannot run 'no-such-mcp-server': no such program"
    )
    neither = run_cli("mcp", "add", "x", home=home)
    assert (
        neither.returncode == 1
        and neither.stderr.strip() == "error: give the server's command after --, or its --url"
    )
    header = run_cli("mcp", "add", "--header", "novalue", "x", "--url", "http://127.0.0.1:9/mcp", home=home)
    assert (
        header.returncode == 1 and header.stderr.strip() == "error: --header takes KEY=VALUE, not 'novalue'"
    )


def test_import_a_file(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "mcp.json"
    path.write_text(
        '{"mcpServers": {\n'
        '  "time": {"command": "' + TIME + '"},\n'
        '  "web": {"type": "sse", "url": "http://127.0.0.1:9/sse"}\n'
        "}}\n"
    )
    imported = run_cli("mcp", "import", str(path), home=home)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [
        f"added time (stdio: {TIME})",
        "skipped web (line 3): SSE servers are not supported; only stdio and streamable HTTP",
    ]
    broken = tmp_path / "broken.json"
    broken.write_text('{"mcpServers": {\n  "a": {"command": "x"}\n  "b": {}\n}}')
    failed = run_cli("mcp", "import", str(broken), home=home)
    assert failed.returncode == 1
    assert (
        failed.stderr.strip()
        == f"error: {broken} is not valid JSON: line 3, column 3: Expecting ',' delimiter"
    )


def test_mcp_serve_answers_an_mcp_client(home: Path) -> None:
    toys = ["--no-check", "toys", "--", str(Path(BIN).parent / "python"), str(TOYS), "toys"]
    assert run_cli("mcp", "add", *toys, home=home).returncode == 0
    problems: list[Any] = []

    async def session() -> tuple[list[str], dict[str, Any], Any, Any]:
        params = StdioServerParameters(command=str(BIN), args=["mcp", "serve"], env=cli_env(home))

        async def on_message(message: Any) -> None:
            if isinstance(message, Exception):  # a line on stdout that is not the protocol
                problems.append(message)

        with anyio.fail_after(120):
            async with Client(params, message_handler=on_message) as client:
                tools = [tool.name for tool in (await client.list_tools()).tools]
                listing = await client.call_tool("models_list", {"discover": False})
                wrong = await client.call_tool("models_show", {"reference": "nothing:here"})
                annotations = {t.name: t.annotations for t in (await client.list_tools()).tools}
                return tools, json.loads(listing.content[0].text), wrong, annotations

    tools, listing, wrong, annotations = anyio.run(session)
    assert "models_list" in tools and "runtime_generate" in tools and "chat_send" in tools
    assert not [name for name in tools if name.endswith(("_rm", "_delete"))]
    assert listing["models"] == [] and not problems
    assert wrong.is_error and wrong.content[0].text.startswith("not_found: ")
    assert annotations["models_list"].read_only_hint and not annotations["runtime_load"].read_only_hint


def test_mcp_serve_stops_on_sigterm(home: Path) -> None:
    process = subprocess.Popen(
        [str(BIN), "mcp", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(home),
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        process.stdin.write((json.dumps(hello) + "\n").encode())
        process.stdin.flush()
        answer = json.loads(process.stdout.readline())  # serving: it answers on stdout
        assert answer["id"] == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        assert process.stderr is not None and b"Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_mcp_serve_offers_the_configured_commands_with_progress(home: Path) -> None:
    chosen = run_cli("config", "set", "mcp.serve_commands", '["system.ticker", "no.such_command"]', home=home)
    assert chosen.returncode == 0, chosen.stderr
    progress: list[float] = []

    async def session() -> tuple[list[str], Any]:
        params = StdioServerParameters(command=str(BIN), args=["mcp", "serve"], env=cli_env(home))

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append(done)

        with anyio.fail_after(120):
            async with Client(params) as client:
                tools = [tool.name for tool in (await client.list_tools()).tools]
                ticked = await client.call_tool(
                    "system_ticker", {"count": 20, "interval": 0.05}, progress_callback=on_progress
                )
                return tools, ticked

    tools, ticked = anyio.run(session)
    assert tools == ["system_ticker"]
    assert json.loads(ticked.content[0].text)["ticks"] == 20
    assert len(progress) >= 2 and progress[-1] == 20


@pytest.mark.slow
def test_an_agent_loads_a_model_and_asks_it_through_mcp_serve(home: Path, starter_model: Path) -> None:
    async def session() -> tuple[Any, Any, Any]:
        params = StdioServerParameters(command=str(BIN), args=["mcp", "serve"], env=cli_env(home))
        with anyio.fail_after(300):
            async with Client(params) as client:
                loaded = await client.call_tool("runtime_load", {"model": str(starter_model)})
                status = await client.call_tool("runtime_status", {})
                model = json.loads(loaded.content[0].text)["id"]
                asked = await client.call_tool(
                    "runtime_generate",
                    {
                        "model": model,
                        "messages": [{"role": "user", "content": "Say hello."}],
                        "sampling": {"max_tokens": 8, "temperature": 0, "seed": 1},
                    },
                )
                return loaded, status, asked

    loaded, status, asked = anyio.run(session)
    assert not loaded.is_error, loaded.content[0].text
    assert json.loads(status.content[0].text)["models"]
    answer = json.loads(asked.content[0].text)
    assert not asked.is_error and answer["content"] and answer["usage"]["completion_tokens"] <= 8
