"""A small client for OpenAI-compatible servers: list models, stream a chat, stop it at once.

Built on the standard library's http.client rather than an HTTP package so that a
stop is immediate: cancelling shuts the socket down, which wakes the thread blocked
reading the stream (a closed connection also tells the server to stop generating).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from llamadesk.core.errors import (
    N_,
    GenerationFailed,
    InvalidParams,
    LlamadeskError,
    NotFound,
    Unavailable,
    validation_summary,
)
from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.llama import GenerateRequest, GenerationResult, SamplingParams, StopReason, Usage
from llamadesk.core.streaming import CancelToken
from llamadesk.lib.openai_api import ChatCompletionChunk, EmbeddingList, ModelCard, ModelList
from llamadesk.lib.reasoning import ReasoningSplitter

from .tool_wire import ToolCallAccumulator, message_body, tools_body

CONNECT_TIMEOUT_SECONDS = 10.0
# A remote model may take minutes to load before its first token; only a dead
# connection should fail a generation, so reads wait long.
READ_TIMEOUT_SECONDS = 600.0


def normalize_base_url(url: str) -> str:
    """`http://host:8080` -> `http://host:8080/v1`; a given path is kept (minus a trailing /)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidParams(N_("{url!r} is not an http(s) URL, like http://gpubox:8080/v1"), url=url)
    path = parts.path.rstrip("/") or "/v1"
    return f"{parts.scheme}://{parts.netloc}{path}"


class OpenAIClient:
    def __init__(self, base_url: str, api_key: str | None = None, label: str | None = None) -> None:
        self.base_url = normalize_base_url(base_url)
        self._parts = urlsplit(self.base_url)
        self.api_key = api_key
        self.label = label or self._parts.netloc

    # --- requests -------------------------------------------------------------------

    def list_models(self) -> list[ModelCard]:
        status, body = self._request("GET", "/models")
        if status != 200:
            raise self._error(status, body)
        try:
            return ModelList.model_validate_json(body).data
        except ValidationError as exc:
            raise Unavailable(
                N_("{label} answered /models with something else: {problem}"),
                label=self.label,
                problem=validation_summary(exc),
            ) from None

    def is_healthy(self) -> bool:
        """llama-server's /health answers 200 once its model is loaded; others lack it,
        so a /models that answers counts too."""
        root = self._parts.path.rsplit("/v1", 1)[0]
        try:
            status, _ = self._request("GET", "/health", root=root, timeout=2)
            if status == 200:
                return True
            if status != 404:
                return False
            status, _ = self._request("GET", "/models", timeout=2)
        except Unavailable:
            return False
        return status == 200

    def embed(self, remote_model: str, texts: list[str]) -> tuple[list[list[float]], int]:
        """(one vector per text, prompt tokens) from the server's /embeddings."""
        status, body = self._request("POST", "/embeddings", {"model": remote_model, "input": texts})
        if status != 200:
            error = self._error(status, body)
            raise GenerationFailed.recast(error) if status >= 500 else error
        try:
            answer = EmbeddingList.model_validate_json(body)
        except ValidationError as exc:
            raise Unavailable(
                N_("{label} answered /embeddings with something else: {problem}"),
                label=self.label,
                problem=validation_summary(exc),
            ) from None
        vectors = [item.embedding for item in sorted(answer.data, key=lambda item: item.index)]
        if any(isinstance(vector, str) for vector in vectors):
            raise Unavailable(
                N_("{label} sent base64 embeddings though floats were asked for"), label=self.label
            )
        return [list(vector) for vector in vectors if not isinstance(vector, str)], answer.usage.prompt_tokens

    def chat(
        self,
        request: GenerateRequest,
        remote_model: str,
        on_event: Callable[[TokenEvent | ToolCallEvent], None],
        token: CancelToken,
        splitter: ReasoningSplitter | None = None,
    ) -> GenerationResult:
        """Stream one chat completion; `token` stops it within one socket wake-up.

        Reasoning the server sends apart (`reasoning_content`) keeps its channel;
        `splitter` finds reasoning blocks left inline in the content (`<think>`).
        Tool calls are joined from their pieces and sent as ToolCallEvents once the
        stream ends (only then is a call's last piece known).
        """
        body = chat_body(request, remote_model)
        started = time.perf_counter()
        connection = self._connection(READ_TIMEOUT_SECONDS)
        stop_on_cancel = token.on_cancel(lambda: _shut(connection))
        texts: dict[str, list[str]] = {"content": [], "reasoning": []}
        tool_calls = ToolCallAccumulator()
        finish: str | None = None
        usage: dict[str, Any] = {}
        timings: dict[str, Any] = {}
        first_token_at: float | None = None
        pieces = 0

        def deliver(channel: str, text: str) -> None:
            texts[channel].append(text)
            on_event(TokenEvent(text=text, channel=channel))

        try:
            response = self._send(connection, "POST", "/chat/completions", body)
            if response.status != 200:
                raise self._error(response.status, response.read())
            for chunk in _sse_chunks(response):
                if chunk.usage is not None:
                    usage = chunk.usage.model_dump()
                if chunk.timings is not None:
                    timings = chunk.timings.model_dump(exclude_none=True)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content or delta.reasoning_content or delta.tool_calls:
                        pieces += 1
                        if first_token_at is None:
                            first_token_at = time.perf_counter()
                    if delta.reasoning_content:
                        deliver("reasoning", delta.reasoning_content)
                    if delta.content:
                        for channel, text in (
                            splitter.feed(delta.content) if splitter else [("content", delta.content)]
                        ):
                            deliver(channel, text)
                    if delta.tool_calls:
                        tool_calls.feed(delta.tool_calls)
                    finish = choice.finish_reason or finish
        except (OSError, http.client.HTTPException) as exc:
            if not token.cancelled:
                raise Unavailable(
                    N_("lost the connection to {label}: {error}"), label=self.label, error=exc
                ) from None
        finally:
            stop_on_cancel()
            connection.close()
        for channel, text in splitter.flush() if splitter else []:
            deliver(channel, text)
        calls = tool_calls.calls()
        for index, call in enumerate(calls):
            on_event(ToolCallEvent(index=index, call=call))
        ended = time.perf_counter()
        stop = StopReason.CANCELLED if token.cancelled else _stop_reason(finish, bool(calls))
        return GenerationResult(
            model=request.model,
            content="".join(texts["content"]),
            reasoning="".join(texts["reasoning"]),
            stop_reason=stop,
            usage=_usage(usage, timings, started, first_token_at, ended, pieces),
            tool_calls=calls,
        )

    # --- plumbing -------------------------------------------------------------------

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(self._parts.netloc, timeout=CONNECT_TIMEOUT_SECONDS)
        connection.connect()
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        return connection

    def _send(
        self,
        connection: http.client.HTTPConnection,
        method: str,
        path: str,
        body: Any = None,
        root: str | None = None,
    ) -> http.client.HTTPResponse:
        headers = {"Accept": "application/json, text/event-stream"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        prefix = self._parts.path if root is None else root
        connection.request(method, prefix + path, body=data, headers=headers)
        return connection.getresponse()

    def _request(
        self, method: str, path: str, body: Any = None, root: str | None = None, timeout: float = 30.0
    ) -> tuple[int, bytes]:
        try:
            connection = self._connection(timeout)
            try:
                response = self._send(connection, method, path, body, root)
                return response.status, response.read()
            finally:
                connection.close()
        except (OSError, http.client.HTTPException) as exc:
            raise Unavailable(
                N_("cannot reach {label} at {base_url}: {error}"),
                label=self.label,
                base_url=self.base_url,
                error=exc,
            ) from None

    def _error(self, status: int, body: bytes) -> LlamadeskError:
        said = {"label": self.label, "status": status, "reason": _error_message(body) or f"HTTP {status}"}
        refused = N_("{label} refused the request ({status}): {reason}")
        if status in (401, 403):
            return InvalidParams(
                N_(
                    "{label} refused the request ({status}): {reason}; check the remote's API key "
                    "(`llamadesk remote add NAME URL --key`)"
                ),
                **said,
            )
        if status == 404:
            return NotFound(refused, **said)
        if status in (400, 422):
            return InvalidParams(refused, **said)
        return Unavailable(refused, **said)


def chat_body(request: GenerateRequest, remote_model: str) -> dict[str, Any]:
    """The OpenAI request for a GenerateRequest; llama.cpp's extra sampling fields ride along
    (servers that do not know them ignore them)."""
    sampling: SamplingParams = request.sampling
    body: dict[str, Any] = {
        "model": remote_model,
        "messages": [message_body(turn) for turn in request.messages],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "top_k": sampling.top_k,
        "min_p": sampling.min_p,
        "repeat_penalty": sampling.repeat_penalty,
        "presence_penalty": sampling.presence_penalty,
        "frequency_penalty": sampling.frequency_penalty,
    }
    if sampling.max_tokens is not None:
        body["max_tokens"] = sampling.max_tokens
    if sampling.stop:
        body["stop"] = sampling.stop
    if sampling.seed is not None:
        body["seed"] = sampling.seed
    if sampling.json_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": sampling.json_schema},
        }
    if sampling.grammar is not None:
        body["grammar"] = sampling.grammar
    body.update(tools_body(request))
    return body


def _sse_chunks(response: http.client.HTTPResponse) -> Iterator[ChatCompletionChunk]:
    """Chunks of an OpenAI event stream; an `error` event raises."""
    for raw in response:
        line = raw.strip()
        if not line.startswith(b"data:"):
            continue  # blank separators, comments (`: ping`), event names
        data = line[5:].strip()
        if data == b"[DONE]":
            return
        payload = json.loads(data)
        if "error" in payload:
            error = payload["error"]
            message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
            raise Unavailable(N_("the remote server failed while generating: {reason}"), reason=message)
        yield ChatCompletionChunk.model_validate(payload)


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def _stop_reason(finish: str | None, called: bool) -> StopReason:
    if finish == "length":
        return StopReason.LENGTH
    # Some servers end an answer of calls with "stop"; OpenAI says "tool_calls".
    return StopReason.TOOL_CALLS if called else StopReason.STOP


def _usage(
    usage: dict[str, Any],
    timings: dict[str, Any],
    started: float,
    first_token_at: float | None,
    ended: float,
    pieces: int,
) -> Usage:
    """The server's counts and timings where it sends them (llama-server's `timings`),
    otherwise what this side measured."""
    completion = int(usage.get("completion_tokens") or timings.get("predicted_n") or pieces)
    generation_ms = timings.get("predicted_ms")
    if generation_ms is None and first_token_at is not None:
        generation_ms = (ended - first_token_at) * 1000
    speed = timings.get("predicted_per_second")
    if speed is None and generation_ms and completion > 1:
        speed = (completion - 1) / (generation_ms / 1000)
    return Usage(
        prompt_tokens=int(usage.get("prompt_tokens") or timings.get("prompt_n") or 0),
        completion_tokens=completion,
        time_to_first_token_ms=None if first_token_at is None else (first_token_at - started) * 1000,
        tokens_per_second=speed,
        prompt_ms=timings.get("prompt_ms"),
        generation_ms=generation_ms,
    )


def _error_message(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        return body.decode(errors="replace").strip()[:300]
    error = payload.get("error", payload) if isinstance(payload, dict) else payload
    if isinstance(error, dict):
        return str(error.get("message") or error.get("detail") or error)[:300]
    return str(error)[:300]
