"""A streamable HTTP MCP server (SDK-built, on 127.0.0.1) that wants an Authorization header."""

from __future__ import annotations

import logging

import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.errors import ToolFailed

from .conftest import HTTP_TOKEN, HttpServer, RunningHttp, add, call, free_port, provider, status


def test_http_server_with_headers(
    shared_app: App, http_server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="llamadesk")
    added = add(
        shared_app, {"name": "weather", "url": http_server.url, "headers": {"Authorization": HTTP_TOKEN}}
    )
    assert added["server"]["transport"] == "http"
    assert added["server"]["headers"] == {"Authorization": "Bea****"}
    assert {t["name"] for t in added["tools"]} == {"forecast", "echo"}

    weather = provider(shared_app, "weather")
    tools = {tool.name: tool for tool in weather.tools()}
    assert tools["forecast"].read_only and not tools["echo"].read_only
    assert call(weather, "forecast", {"city": "Oslo"}).text == "Sunny in Oslo, 21 °C"
    assert http_server.requests and all(r.get("authorization") == HTTP_TOKEN for r in http_server.requests)

    listed = shared_app.commands.invoke("mcp.list").model_dump_json()
    assert HTTP_TOKEN not in listed and HTTP_TOKEN not in caplog.text


def test_a_wrong_key_is_named_by_its_http_status(shared_app: App, http_server: HttpServer) -> None:
    with pytest.raises(CommandError) as refused:
        add(
            shared_app,
            {"name": "nokey", "url": http_server.url, "headers": {"Authorization": "Bearer wrong-key-123"}},
        )
    assert refused.value.message == (
        f"the MCP server 'nokey' does not work: {http_server.url} answered HTTP 401 (Unauthorized); "
        "nothing was saved (add it without the check to save it anyway)"
    )
    assert "wrong-key-123" not in refused.value.message


def test_an_unreachable_url_fails_that_server_only(shared_app: App, http_server: HttpServer) -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    add(shared_app, {"name": "offline", "url": url, "check": False})
    add(
        shared_app,
        {"name": "online", "url": http_server.url, "headers": {"Authorization": HTTP_TOKEN}, "check": False},
    )
    assert provider(shared_app, "offline").tools() == []
    assert status(shared_app, "offline")["status"] == f"failed: cannot reach {url}"
    assert call(provider(shared_app, "online"), "echo", {"text": "up"}).text == "up"


def test_a_password_in_the_url_is_masked(shared_app: App) -> None:
    add(
        shared_app,
        {
            "name": "userinfo",
            "url": "https://ada:hunter2@example.invalid/mcp?api_key=k123&x=1",
            "check": False,
        },
    )
    shown = status(shared_app, "userinfo")["url"]
    assert shown == "https://ada:****@example.invalid/mcp?api_key=****&x=1"


def test_a_server_that_went_away_is_reached_again_once_back(shared_app: App) -> None:
    port = free_port()
    first = RunningHttp(port)
    try:
        add(shared_app, {"name": "restarts", "url": first.url, "headers": {"Authorization": HTTP_TOKEN}})
        restarts = provider(shared_app, "restarts")
        assert call(restarts, "echo", {"text": "one"}).text == "one"
    finally:
        first.stop()
    with pytest.raises(ToolFailed) as failed:
        call(restarts, "echo", {"text": "nobody there"})
    assert failed.value.message == (
        "The connection to MCP server 'restarts' was lost during the call to 'echo'; "
        "it is made again on the next call."
    )
    second = RunningHttp(port)
    try:
        assert call(restarts, "echo", {"text": "two"}).text == "two"
    finally:
        second.stop()
