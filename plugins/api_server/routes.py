"""The HTTP routes: OpenAI's /v1 surface and /health, built on FastAPI.

Every request goes through the command table like the UI's: `runtime.generate` for text,
the model commands for listing. A generation waits for its model's turn (fair queue),
runs on the app's worker pool, and is cancelled when its client disconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.llama import GenerateRequest, GenerationResult
from llamadesk.lib.openai_api import (
    ChatCompletionRequest,
    Completion,
    CompletionChoice,
    CompletionRequest,
    EmbeddingRequest,
)

from . import translate
from .bridge import CommandBridge
from .errors import ApiError, error_response, install_error_handlers
from .gateway import InferenceGateway
from .sse import DONE, ChatChunkWriter, TextChunkWriter, error_frame

WireT = TypeVar("WireT", bound=BaseModel)

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def build_api(gateway: InferenceGateway, api_key: str | None) -> FastAPI:
    api = FastAPI(title="llamadesk", description="OpenAI-compatible API of llamadesk", docs_url=None)
    install_error_handlers(api)

    if api_key:
        api.add_middleware(BearerKeyMiddleware, api_key=api_key)

    @api.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/v1/models")
    async def list_models() -> JSONResponse:
        models = await asyncio.to_thread(gateway.list_models)
        return JSONResponse(models.model_dump(mode="json"))

    @api.get("/v1/models/{model_id:path}")
    async def get_model(model_id: str) -> JSONResponse:
        models = await asyncio.to_thread(gateway.list_models)
        for card in models.data:
            if card.id == model_id:
                return JSONResponse(card.model_dump(mode="json"))
        raise ApiError(404, f"The model {model_id!r} does not exist.", code="model_not_found", param="model")

    @api.post("/v1/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> Response:
        body = await _read(request, ChatCompletionRequest)
        generate = translate.generate_request(body, gateway.default_sampling())
        if not body.stream:
            result = await _generate_to_end(request, gateway, generate)
            return JSONResponse(translate.chat_completion(result, body.model).model_dump(mode="json"))
        writer = ChatChunkWriter(translate.new_id("chatcmpl"), translate.now(), body.model)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return await _stream(request, gateway, generate, writer, include_usage)

    @api.post("/v1/completions", response_model=None)
    async def completions(request: Request) -> Response:
        body = await _read(request, CompletionRequest)
        prompt = body.prompt if isinstance(body.prompt, str) else "".join(body.prompt)
        generate = gateway.completion_request(body, prompt)
        if not body.stream:
            result = await _generate_to_end(request, gateway, generate)
            choice = CompletionChoice(
                text=result.content, finish_reason=translate.finish_reason(result.stop_reason)
            )
            answer = Completion(
                id=translate.new_id("cmpl"),
                created=translate.now(),
                model=body.model,
                choices=[choice],
                usage=translate.usage_out(result.usage),
            )
            return JSONResponse(answer.model_dump(mode="json"))
        writer = TextChunkWriter(translate.new_id("cmpl"), translate.now(), body.model)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return await _stream(request, gateway, generate, writer, include_usage)

    @api.post("/v1/embeddings")
    async def embeddings(request: Request) -> JSONResponse:
        body = await _read(request, EmbeddingRequest)
        result = await asyncio.to_thread(gateway.embed, body)
        return JSONResponse(result.model_dump(mode="json"))

    return api


class BearerKeyMiddleware:
    """Rejects requests without `Authorization: Bearer <key>` (401); /health stays open.

    A plain ASGI middleware, not `@app.middleware`: that one re-streams every response
    through a memory channel and hides client disconnects from the routes.
    """

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self._key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/health" and not self._matches(scope):
            message = (
                "Incorrect or missing API key. Send it as 'Authorization: Bearer <key>' "
                "(the server's key is the server_api_key setting)."
            )
            await error_response(ApiError(401, message, code="invalid_api_key"))(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _matches(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self._key)


async def _read(request: Request, model: type[WireT]) -> WireT:
    """Parse the body as JSON, then as `model`; any failure is a 400 in OpenAI's shape."""
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        param = ".".join(str(part) for part in first["loc"]) or None
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ApiError(400, f"{param}: {first['msg']}{more}", param=param) from None


async def _disconnected(request: Request) -> None:
    """Returns when the client goes away (only once the request body has been read)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def _until_disconnect(request: Request, work: asyncio.Future[Any] | asyncio.Task[Any]) -> bool:
    """Wait for `work`; False if the client disconnected first (the caller cancels)."""
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({work, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    return work.done()


async def _start(request: Request, gateway: InferenceGateway, generate: GenerateRequest) -> CommandBridge:
    """Wait for this model's turn (leaving the line if the client goes), then start generating."""
    model = await asyncio.to_thread(gateway.resolve_model, generate.model)
    turn = asyncio.ensure_future(gateway.queue.acquire(model))
    if not await _until_disconnect(request, turn):
        turn.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await turn
        raise ApiError(499, "The client disconnected while waiting for its turn.", code="cancelled")
    bridge = CommandBridge(
        asyncio.get_running_loop(), lambda cancelled: gateway.generation_ended(bridge, model, cancelled)
    )
    try:
        bridge.start(gateway.commands, gateway.generate_command, generate.model_copy(update={"model": model}))
    except CommandError as error:
        raise ApiError.from_command_error(error) from None
    gateway.generation_started(bridge)
    return bridge


async def _generate_to_end(
    request: Request, gateway: InferenceGateway, generate: GenerateRequest
) -> GenerationResult:
    bridge = await _start(request, gateway, generate)
    waiting = asyncio.ensure_future(bridge.wait())
    try:
        finished = await _until_disconnect(request, waiting)
    except asyncio.CancelledError:  # the server is stopping
        bridge.cancel()
        raise
    if not finished:
        bridge.cancel()
        with contextlib.suppress(CommandError):
            await waiting
        raise ApiError(499, "The client disconnected; the generation was stopped.", code="cancelled")
    try:
        result = waiting.result()
    except CommandError as error:
        raise ApiError.from_command_error(error) from None
    assert isinstance(result, GenerationResult)
    return result


async def _stream(
    request: Request,
    gateway: InferenceGateway,
    generate: GenerateRequest,
    writer: ChatChunkWriter | TextChunkWriter,
    include_usage: bool,
) -> Response:
    bridge = await _start(request, gateway, generate)
    # Hold the status line until the first token: a failure to start generating
    # still gets a real HTTP status instead of an error inside a 200 stream.
    batch: list[BaseModel] = []
    while not bridge.finished and not any(isinstance(event, TokenEvent | ToolCallEvent) for event in batch):
        more = asyncio.ensure_future(bridge.next_batch())
        if not await _until_disconnect(request, more):
            bridge.cancel()
            more.cancel()
            raise ApiError(499, "The client disconnected; the generation was stopped.", code="cancelled")
        batch += more.result()
    if bridge.finished:
        try:
            bridge.result()
        except CommandError as error:
            raise ApiError.from_command_error(error) from None
    return StreamingResponse(
        _frames(bridge, writer, batch, include_usage), media_type="text/event-stream", headers=SSE_HEADERS
    )


async def _frames(
    bridge: CommandBridge,
    writer: ChatChunkWriter | TextChunkWriter,
    batch: list[BaseModel],
    include_usage: bool,
) -> AsyncIterator[bytes]:
    # Starlette cancels this generator when the client disconnects; `finally` then stops
    # the generation (cancelling an already finished command does nothing).
    try:
        if isinstance(writer, ChatChunkWriter):
            yield writer.role()
        while batch:
            frames = _event_frames(writer, batch)
            if frames:
                yield b"".join(frames)
            batch = await bridge.next_batch()
        try:
            result = bridge.result()
        except CommandError as error:
            yield error_frame(ApiError.from_command_error(error).body())
            return
        assert isinstance(result, GenerationResult)
        tail = writer.finish(result)
        if include_usage:
            tail += writer.usage(result)
        yield tail + DONE
    finally:
        bridge.cancel()


def _event_frames(writer: ChatChunkWriter | TextChunkWriter, batch: list[BaseModel]) -> list[bytes]:
    frames = []
    for event in batch:
        if isinstance(event, TokenEvent) and event.text:
            frames.append(writer.token(event.text, event.channel))
        elif isinstance(event, ToolCallEvent) and isinstance(writer, ChatChunkWriter):
            frames.append(writer.tool_call(event.index, event.call))
    return frames
