"""`mcp.import`: the mcpServers JSON of Claude Desktop, Cursor and LM Studio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError

from .conftest import add, toy

CLAUDE_DESKTOP = """\
{
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/ada/Desktop"]
    },
    "github": {
      "command": "docker",
      "args": ["run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/github-mcp-server"],
      "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_importedSECRET12345"}
    },
    "hosted docs": {
      "url": "https://mcp.example.com/mcp",
      "headers": {"Authorization": "Bearer imported-header-secret"}
    },
    "old-sse": {"type": "sse", "url": "https://example.com/sse"},
    "resting": {"command": "uvx", "args": ["mcp-server-time"], "disabled": true},
    "broken": {"args": ["no command here"]},
    "box": {"command": "uvx", "args": ["something-else"]}
  },
  "globalShortcut": "Ctrl+Space"
}
"""


def test_import_a_claude_desktop_file(app: App, tmp_path: Path) -> None:
    add(app, toy("box"))
    path = tmp_path / "claude_desktop_config.json"
    path.write_text(CLAUDE_DESKTOP)
    result = app.commands.invoke("mcp.import", {"path": str(path)}).model_dump()

    added = {server["name"]: server for server in result["added"]}
    assert list(added) == ["filesystem", "github", "hosted-docs", "resting"]
    assert added["filesystem"]["command"] == "npx" and added["filesystem"]["args"][0] == "-y"
    assert added["github"]["env"] == {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp****"}
    assert added["hosted-docs"]["transport"] == "http"
    assert added["hosted-docs"]["headers"] == {"Authorization": "Bea****"}
    assert added["resting"]["enabled"] is False and added["resting"]["status"] == "disabled"

    skipped = {entry["name"]: (entry["line"], entry["reason"]) for entry in result["skipped"]}
    assert skipped == {
        "old-sse": (16, "SSE servers are not supported; only stdio and streamable HTTP"),
        "broken": (18, "the stdio server 'broken' needs a command"),
        "box": (19, "a server named 'box' exists (import with replace to overwrite it)"),
    }
    assert "SECRET" not in json.dumps(result) and "imported-header-secret" not in json.dumps(result)
    saved = json.loads(Path(app.paths.config_file).read_text())["mcp"]["servers"]
    assert saved[2]["env"]["GITHUB_PERSONAL_ACCESS_TOKEN"] == "ghp_importedSECRET12345"

    replaced = app.commands.invoke("mcp.import", {"text": CLAUDE_DESKTOP, "replace": True}).model_dump()
    assert "box" in [server["name"] for server in replaced["added"]]
    box = next(s for s in app.commands.invoke("mcp.list").model_dump()["servers"] if s["name"] == "box")
    assert box["command"] == "uvx"


def test_import_reports_where_the_json_is_wrong(app: App) -> None:
    broken = '{\n  "mcpServers": {\n    "a": {"command": "x",}\n  }\n}\n'
    with pytest.raises(CommandError) as bad:
        app.commands.invoke("mcp.import", {"text": broken})
    assert bad.value.code == "invalid_params"
    assert (
        bad.value.message
        == "the text is not valid JSON: line 3, column 26: Expecting property name enclosed in double quotes"
    )

    with pytest.raises(CommandError, match=r'has no "mcpServers" object \(line 1\)'):
        app.commands.invoke("mcp.import", {"text": '{"servers_of_mine": {}}'})
    with pytest.raises(CommandError, match=r"must be an object of servers by name \(line 2\)"):
        app.commands.invoke("mcp.import", {"text": '{\n "mcpServers": []}'})
    with pytest.raises(CommandError) as missing:
        app.commands.invoke("mcp.import", {"path": "/no/such/file.json"})
    assert missing.value.code == "not_found"
    with pytest.raises(CommandError, match="either text or path"):
        app.commands.invoke("mcp.import", {})
    assert app.commands.invoke("mcp.list").model_dump()["servers"] == []


def test_import_vs_code_servers_and_http_types(app: App) -> None:
    text = json.dumps(
        {
            "servers": {
                "remote": {"type": "http", "url": "http://127.0.0.1:9/mcp"},
                "local": {"command": "uvx"},
            }
        }
    )
    result = app.commands.invoke("mcp.import", {"text": text}).model_dump()
    assert [(s["name"], s["transport"]) for s in result["added"]] == [("remote", "http"), ("local", "stdio")]
