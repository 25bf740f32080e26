"""The reference servers as a user configures them: `mcp-server-time` and `mcp-server-git`
from the venv's bin folder, started by the plugin from its settings over stdio."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from llamadesk.core.app import App

from .conftest import VENV_BIN, add, call, provider, status


def test_time_server_lists_read_only_tools_and_answers(shared_app: App) -> None:
    added = add(
        shared_app,
        {"name": "time", "command": str(VENV_BIN / "mcp-server-time"), "args": ["--local-timezone", "UTC"]},
    )
    # mcp.add starts it first (check) and keeps that connection.
    assert {t["name"] for t in added["tools"]} == {"get_current_time", "convert_time"}
    assert added["server"]["status"] == "connected"

    time_server = provider(shared_app, "time")
    tools = {tool.name: tool for tool in time_server.tools()}
    assert tools["get_current_time"].read_only and tools["convert_time"].read_only
    assert tools["get_current_time"].parameters["type"] == "object"
    assert "timezone" in tools["get_current_time"].parameters["properties"]

    reply = call(time_server, "get_current_time", {"timezone": "Asia/Tokyo"})
    assert not reply.is_error
    assert json.loads(reply.text)["timezone"] == "Asia/Tokyo"

    converted = call(
        time_server,
        "convert_time",
        {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Europe/Oslo"},
    )
    assert "Europe/Oslo" in converted.text

    wrong = call(time_server, "get_current_time", {"timezone": "Not/AZone"})
    assert wrong.is_error and "Not/AZone" in wrong.text
    assert status(shared_app, "time")["server_info"].startswith("mcp-time")


def test_git_server_reads_a_repository(shared_app: App, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=Ada", "-c", "user.email=ada@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    (repo / "notes.txt").write_text("first line\n")
    subprocess.run([*git, "add", "notes.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "Write the first note"], check=True)
    (repo / "notes.txt").write_text("first line\nsecond line\n")

    add(
        shared_app,
        {"name": "git", "command": str(VENV_BIN / "mcp-server-git"), "args": ["--repository", str(repo)]},
    )
    git_server = provider(shared_app, "git")
    names = {tool.name for tool in git_server.tools()}
    assert {"git_status", "git_log", "git_diff_unstaged"} <= names

    log = call(git_server, "git_log", {"repo_path": str(repo)})
    assert not log.is_error and "Write the first note" in log.text
    diff = call(git_server, "git_diff_unstaged", {"repo_path": str(repo)})
    assert "+second line" in diff.text
    state = call(git_server, "git_status", {"repo_path": str(repo)})
    assert "notes.txt" in state.text


def test_the_core_lists_a_fresh_servers_tools_at_once(app: App) -> None:
    """A server saved without being started: the first listing (a chat's first answer,
    `llamadesk tools`) starts it and waits for its tools."""
    time_server = {"name": "clock", "command": str(VENV_BIN / "mcp-server-time"), "check": False}
    app.commands.invoke("mcp.add", time_server)
    catalog = app.commands.invoke("tools.list").model_dump()
    clock = next(p for p in catalog["providers"] if p["name"] == "clock")
    assert {t["name"] for t in clock["tools"]} == {"clock_get_current_time", "clock_convert_time"}
    assert status(app, "clock")["status"] == "connected"
