"""The server's HTTP surface that needs no model: health, keys, errors, binding rules."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import openai
import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError

from .conftest import API_KEY, Served


def call(url: str, body: bytes | None = None, key: str | None = API_KEY, method: str | None = None):
    request = urllib.request.Request(url, data=body, method=method)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def assert_openai_error(body: dict, code: str | None = None) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code


def test_health_needs_no_key(served: Served) -> None:
    assert call(served.base_url.removesuffix("/v1") + "/health", key=None) == (200, {"status": "ok"})


def test_wrong_or_missing_key_is_401_with_openai_body(served: Served) -> None:
    for key in (None, "wrong"):
        status, body = call(served.base_url + "/models", key=key)
        assert status == 401
        assert_openai_error(body, "invalid_api_key")
    with pytest.raises(openai.AuthenticationError) as caught:
        served.client(api_key="wrong").models.list()
    assert caught.value.status_code == 401 and caught.value.code == "invalid_api_key"


def test_bad_json_is_400_with_openai_body(served: Served) -> None:
    status, body = call(served.base_url + "/chat/completions", b'{"model": "x", "messages": [')
    assert status == 400
    assert_openai_error(body)
    assert "not valid JSON" in body["error"]["message"]


def test_invalid_fields_name_the_param(served: Served) -> None:
    status, body = call(served.base_url + "/chat/completions", json.dumps({"model": "x"}).encode())
    assert status == 400 and body["error"]["param"] == "messages"
    bad_temperature = {"model": "x", "messages": [{"role": "user", "content": "hi"}], "temperature": 9}
    status, body = call(served.base_url + "/chat/completions", json.dumps(bad_temperature).encode())
    assert status == 400 and body["error"]["param"] == "temperature"
    with pytest.raises(openai.BadRequestError):
        served.client().chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}], n=17)


def test_unknown_model_route_and_method(served: Served) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        served.client().chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.code == "model_not_found"
    status, body = call(served.base_url + "/nothing-here")
    assert status == 404
    assert_openai_error(body, "not_found")
    status, body = call(served.base_url + "/models", method="DELETE")
    assert status == 405
    assert_openai_error(body, "method_not_allowed")


def test_status_reports_the_url(served: Served) -> None:
    status = served.app.commands.invoke("server.status").model_dump()
    assert status["running"] and status["url"] == served.base_url and status["key_required"]
    assert status["generating"] == 0 and status["queued"] == 0


def test_other_interfaces_need_a_key(app: App) -> None:
    with pytest.raises(CommandError) as caught:
        app.commands.invoke("server.start", {"host": "0.0.0.0", "port": 0})
    assert caught.value.code == "invalid_params" and "API key" in caught.value.message
    assert not app.commands.invoke("server.status").model_dump()["running"]


def test_a_port_in_use_is_a_clear_error(app: App) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError) as caught:
            app.commands.invoke("server.start", {"port": port})
    assert caught.value.code == "unavailable" and str(port) in caught.value.message


def test_start_twice_and_stop(app: App) -> None:
    first = app.commands.invoke("server.start", {"port": 0}).model_dump()
    with pytest.raises(CommandError) as caught:
        app.commands.invoke("server.start", {"port": 0})
    assert caught.value.code == "unavailable"
    stopped = app.commands.invoke("server.stop").model_dump()
    assert not stopped["running"]
    with pytest.raises(OSError):
        urllib.request.urlopen(first["url"].removesuffix("/v1") + "/health", timeout=5)
