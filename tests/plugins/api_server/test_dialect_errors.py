"""Bad input in every dialect, with no model loaded: not JSON, missing fields, wrong types,
unknown models, bodies over the cap, keys. Each answers a 4xx in its dialect's error shape,
and the server keeps serving."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from .conftest import API_KEY, Served

OPENAI = ("/v1/chat/completions", {"model": "x", "messages": [{"role": "user", "content": "hi"}]})
RESPONSES = ("/v1/responses", {"model": "x", "input": "hi"})
ANTHROPIC = ("/v1/messages", {"model": "x", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
OLLAMA_CHAT = ("/api/chat", {"model": "x", "messages": [{"role": "user", "content": "hi"}]})
OLLAMA_GENERATE = ("/api/generate", {"model": "x", "prompt": "hi"})
ROUTES = [OPENAI, RESPONSES, ANTHROPIC, OLLAMA_CHAT, OLLAMA_GENERATE]


def send(
    served: Served,
    path: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    chunked: bool = False,
) -> tuple[int, dict[str, object]]:
    url = urlsplit(served.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    sent = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json", **(headers or {})}
    try:
        if chunked:
            connection.request(
                method,
                path,
                body=iter([body[i : i + 65536] for i in range(0, len(body), 65536)]),
                headers=sent,
                encode_chunked=True,
            )
        else:
            connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else {}
    finally:
        connection.close()


def assert_shape(path: str, body: dict[str, object]) -> str:
    """The message, after checking the body is in the path's dialect."""
    if path.startswith("/api/"):
        assert set(body) == {"error"} and isinstance(body["error"], str)
        return body["error"]
    if path == "/v1/messages":
        assert body["type"] == "error"
        error = body["error"]
        assert isinstance(error, dict) and set(error) == {"type", "message"}
        return str(error["message"])
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"message", "type", "param", "code"}
    return str(error["message"])


@pytest.mark.parametrize(("path", "good"), ROUTES)
def test_bad_input_in_each_dialect(served: Served, path: str, good: dict[str, object]) -> None:
    status, body = send(served, path, b'{"model": "x", "messages": [')
    assert status == 400 and "not valid JSON" in assert_shape(path, body)
    status, body = send(served, path, b"[1, 2]")
    assert status == 400 and "JSON object" in assert_shape(path, body)
    missing = {key: value for key, value in good.items() if key != "model"}
    status, body = send(served, path, json.dumps(missing).encode())
    assert status == 400 and "model" in assert_shape(path, body)
    wrong = {**good, "stream": {"no": "pe"}}
    status, body = send(served, path, json.dumps(wrong).encode())
    assert status == 400 and "stream" in assert_shape(path, body)
    status, body = send(served, path, json.dumps(good).encode())
    assert status == 404 and "x" in assert_shape(path, body)
    assert send(served, "/health", b"", method="GET")[0] == 200  # still serving


@pytest.mark.parametrize(("path", "good"), ROUTES)
def test_a_body_over_the_cap_is_413_before_parsing(
    served: Served, path: str, good: dict[str, object]
) -> None:
    served.app.commands.invoke("config.set", {"values": {"server.max_body_mb": 1}})
    huge = json.dumps({**good, "padding": "x" * (1024 * 1024 + 10)}).encode()
    for chunked in (False, True):
        status, body = send(served, path, huge, chunked=chunked)
        assert status == 413 and "limit" in assert_shape(path, body)
    status, body = send(served, path, json.dumps(good).encode())
    assert status == 404  # the next request is served as usual


def test_keys_in_each_dialect(served: Served) -> None:
    for path, good in ROUTES:
        status, body = send(
            served, path, json.dumps(good).encode(), headers={"Authorization": "Bearer wrong"}
        )
        assert status == 401 and assert_shape(path, body)
        # Anthropic's clients send the key as x-api-key; any dialect accepts it.
        status, body = send(
            served, path, json.dumps(good).encode(), headers={"Authorization": "", "x-api-key": API_KEY}
        )
        assert status == 404, body


def test_ollama_root_and_version_answer(served: Served) -> None:
    url = urlsplit(served.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.request("GET", "/")
    response = connection.getresponse()
    assert response.status == 200 and response.read() == b"Ollama is running"
    connection.close()
    status, body = send(served, "/api/version", b"", method="GET")
    assert status == 200 and isinstance(body["version"], str)
    status, body = send(served, "/api/tags", b"", method="GET")
    assert status == 200 and body == {"models": []}
    status, body = send(served, "/api/ps", b"", method="GET")
    assert status == 200 and body == {"models": []}
    status, body = send(served, "/api/delete", json.dumps({"model": "nope"}).encode(), method="DELETE")
    assert status == 404 and assert_shape("/api/delete", body) == "model 'nope' not found"
    status, body = send(served, "/api/show", json.dumps({"name": "nope"}).encode())
    assert status == 404 and "nope" in assert_shape("/api/show", body)


def test_unknown_ollama_options_are_refused(served: Served) -> None:
    path, good = OLLAMA_CHAT
    status, body = send(served, path, json.dumps({**good, "options": {"mirostat": 2}}).encode())
    assert status == 400 and "options.mirostat" in assert_shape(path, body)
    status, body = send(served, path, json.dumps({**good, "keep_alive": "soon"}).encode())
    assert status == 400 and "keep_alive" in assert_shape(path, body)
