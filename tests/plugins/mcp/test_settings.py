"""The `mcp` settings section and the commands that change it: validation, masking, update."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.plugins.mcp.masking import keep_masked, mask, mask_url
from llamadesk.plugins.mcp.settings import DEFAULT_SERVE_COMMANDS, McpServer, McpSettings

from .conftest import add, status, toy

SECRET = "ghp_0123456789abcdefSECRET"


def test_a_server_needs_what_its_transport_needs() -> None:
    with pytest.raises(ValidationError, match="needs a command"):
        McpServer(name="x")
    with pytest.raises(ValidationError, match="needs a url"):
        McpServer(name="x", transport="http")
    with pytest.raises(ValidationError, match="name"):
        McpServer(name="has space", command="x")
    with pytest.raises(ValidationError, match="two MCP servers are named 'Git'"):
        McpSettings(servers=[McpServer(name="git", command="a"), McpServer(name="Git", command="b")])


def test_serve_commands_default_to_ones_that_delete_nothing() -> None:
    assert "models.list" in DEFAULT_SERVE_COMMANDS and "chat.send" in DEFAULT_SERVE_COMMANDS
    assert not [
        c for c in DEFAULT_SERVE_COMMANDS if c.split(".")[1] in ("rm", "delete", "remove", "set", "reset")
    ]


def test_masks() -> None:
    assert mask(SECRET) == "ghp****" and mask("short") == "****"
    assert keep_masked({"A": "ghp****", "B": "new"}, {"A": SECRET, "B": "old"}) == {"A": SECRET, "B": "new"}
    assert mask_url("http://127.0.0.1:8000/mcp") == "http://127.0.0.1:8000/mcp"
    assert mask_url("https://u:p@h/x?token=abc") == "https://u:****@h/x?token=****"


def test_secrets_are_kept_in_the_file_and_never_shown(app: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    params = toy("github", env={"GITHUB_TOKEN": SECRET, "LEVEL": "3"})
    added = app.commands.invoke("mcp.add", params)
    shown = [
        added.model_dump_json(),
        app.commands.invoke("mcp.list").model_dump_json(),
        app.commands.invoke("mcp.update", {"name": "github", "trusted": True}).model_dump_json(),
    ]
    assert all(SECRET not in text for text in shown)
    assert json.loads(shown[1])["servers"][0]["env"] == {"GITHUB_TOKEN": "ghp****", "LEVEL": "****"}
    assert SECRET not in caplog.text
    saved = json.loads(Path(app.paths.config_file).read_text())
    assert saved["mcp"]["servers"][0]["env"]["GITHUB_TOKEN"] == SECRET


def test_update_keeps_a_secret_sent_back_masked(app: App) -> None:
    add(app, toy("keys", env={"API_KEY": SECRET}))
    listed = status(app, "keys")
    app.commands.invoke("mcp.update", {"name": "keys", "env": {**listed["env"], "EXTRA": "1"}})
    saved = json.loads(Path(app.paths.config_file).read_text())["mcp"]["servers"][0]
    assert saved["env"] == {"API_KEY": SECRET, "EXTRA": "1"}
    app.commands.invoke("mcp.update", {"name": "keys", "env": {"API_KEY": "replaced-key"}})
    saved = json.loads(Path(app.paths.config_file).read_text())["mcp"]["servers"][0]
    assert saved["env"] == {"API_KEY": "replaced-key"}


def test_add_update_remove_and_their_errors(app: App) -> None:
    add(app, toy("box"))
    with pytest.raises(CommandError, match="exists") as exists:
        add(app, toy("Box"))
    assert exists.value.code == "already_exists"
    with pytest.raises(CommandError) as bad_name:
        add(app, toy("no spaces"))
    assert bad_name.value.code == "invalid_params"
    with pytest.raises(CommandError, match="needs a command"):
        app.commands.invoke("mcp.add", {"name": "empty", "check": False})

    changed = app.commands.invoke("mcp.update", {"name": "box", "allowed_tools": ["echo"], "enabled": False})
    assert changed.model_dump()["allowed_tools"] == ["echo"] and changed.model_dump()["status"] == "disabled"
    with pytest.raises(CommandError) as missing:
        app.commands.invoke("mcp.update", {"name": "nothing"})
    assert missing.value.code == "not_found"

    removed = app.commands.invoke("mcp.remove", {"name": "box"}).model_dump()
    assert removed["name"] == "box"
    assert app.commands.invoke("mcp.list").model_dump()["servers"] == []
    with pytest.raises(CommandError) as again:
        app.commands.invoke("mcp.remove", {"name": "box"})
    assert again.value.code == "not_found"


def test_settings_are_in_the_settings_schema(app: App) -> None:
    schema = app.commands.invoke("config.schema").model_dump()
    group = next(g for g in schema["groups"] if g["id"] == "mcp")
    keys = {field["key"] for field in group["fields"]}
    assert keys == {
        "mcp.servers",
        "mcp.call_timeout_seconds",
        "mcp.connect_timeout_seconds",
        "mcp.serve_commands",
    }
    assert all(field["description"] for field in group["fields"])
    assert all(info.description for info in McpServer.model_fields.values())
