"""One generation's way through the server, the same for every dialect.

Read the body, wait for the model's turn (leaving the line if the client goes), prepare
the model (load options, keep-alive) inside the turn, run `runtime.generate` through a
`CommandBridge`, and either wait for the result or stream it through a dialect's
`AnswerWriter`. A disconnect cancels the generation; the turn is handed on when the
generation has really ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ValidationError

from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.llama import GenerateRequest, GenerationResult, LoadOptions

from .bridge import CommandBridge
from .errors import ApiError
from .gateway import InferenceGateway

WireT = TypeVar("WireT", bound=BaseModel)

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@dataclass(frozen=True)
class Plan:
    """A generation and what the model must be like for it."""

    generate: GenerateRequest
    load: LoadOptions | None = None  # reload with these first when the model has others
    keep_alive: float | None = None  # seconds the model stays loaded after this request


class AnswerWriter(Protocol):
    """How a dialect writes a streamed answer. `finish` ends one generation (several for
    OpenAI's `n`), `end` the whole stream."""

    media_type: str

    def start(self) -> bytes: ...
    def events(self, batch: list[BaseModel]) -> bytes: ...
    def finish(self, result: GenerationResult) -> bytes: ...
    def end(self) -> bytes: ...
    def error(self, error: ApiError) -> bytes: ...


async def read_body(request: Request, model: type[WireT]) -> WireT:
    """Parse the body as JSON, then as `model`; any failure is a 400 naming the field."""
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
        raise invalid_field(exc) from None


def invalid_field(exc: ValidationError, prefix: str = "") -> ApiError:
    first = exc.errors(include_url=False)[0]
    param = ".".join(str(part) for part in (*((prefix,) if prefix else ()), *first["loc"])) or None
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    message = first["msg"].removeprefix("Value error, ")
    return ApiError(400, f"{param}: {message}{more}", param=param)


async def _disconnected(request: Request) -> None:
    """Returns when the client goes away (only once the request body has been read)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def until_disconnect(request: Request, work: asyncio.Future[Any] | asyncio.Task[Any]) -> bool:
    """Wait for `work`; False if the client disconnected first (the caller cancels)."""
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({work, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    return work.done()


async def start_generation(
    request: Request | None, gateway: InferenceGateway, plan: Plan, model: str | None = None
) -> CommandBridge:
    """Wait for the model's turn, prepare the model, start generating. With `request`, a
    client that leaves while waiting leaves the line (499); inside a stream Starlette
    watches the client instead. `model`: the id already resolved."""
    if model is None:
        model = await asyncio.to_thread(gateway.resolve_model, plan.generate.model)
    turn = asyncio.ensure_future(gateway.queue.acquire(model, gateway.slots(model)))
    if request is not None and not await until_disconnect(request, turn):
        turn.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await turn
        raise ApiError(499, "The client disconnected while waiting for its turn.", code="cancelled")
    await turn
    try:
        generate = await asyncio.to_thread(gateway.prepare, model, plan)
    except BaseException:
        gateway.queue.release(model)
        raise
    bridge = CommandBridge(
        asyncio.get_running_loop(), lambda cancelled: gateway.generation_ended(bridge, model, cancelled)
    )
    try:
        bridge.start(gateway.commands, gateway.generate_command, generate)
    except CommandError as error:
        raise ApiError.from_command_error(error) from None
    gateway.generation_started(bridge)
    return bridge


async def generate_to_end(request: Request, gateway: InferenceGateway, plan: Plan) -> GenerationResult:
    bridge = await start_generation(request, gateway, plan)
    waiting = asyncio.ensure_future(bridge.wait())
    try:
        finished = await until_disconnect(request, waiting)
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


async def stream_answers(
    request: Request, gateway: InferenceGateway, plans: list[Plan], writer: AnswerWriter
) -> Response:
    """Stream the answers of `plans` one after the other (OpenAI's `n`; one for the rest)."""
    bridge = await start_generation(request, gateway, plans[0])
    # Hold the status line until the first token: a failure to start generating
    # still gets a real HTTP status instead of an error inside a 200 stream.
    batch: list[BaseModel] = []
    while not bridge.finished and not any(isinstance(event, TokenEvent | ToolCallEvent) for event in batch):
        more = asyncio.ensure_future(bridge.next_batch())
        if not await until_disconnect(request, more):
            bridge.cancel()
            more.cancel()
            raise ApiError(499, "The client disconnected; the generation was stopped.", code="cancelled")
        batch += more.result()
    if bridge.finished:
        try:
            bridge.result()
        except CommandError as error:
            raise ApiError.from_command_error(error) from None
    frames = _frames(gateway, bridge, batch, plans[1:], writer)
    return StreamingResponse(frames, media_type=writer.media_type, headers=STREAM_HEADERS)


async def _frames(
    gateway: InferenceGateway,
    bridge: CommandBridge,
    batch: list[BaseModel],
    more: list[Plan],
    writer: AnswerWriter,
) -> AsyncIterator[bytes]:
    # Starlette cancels this generator when the client disconnects; `finally` then stops
    # the generation (cancelling an already finished command does nothing).
    try:
        yield writer.start()
        pending = list(more)
        while True:
            while batch:
                frames = writer.events(batch)
                if frames:
                    yield frames
                batch = await bridge.next_batch()
            try:
                result = bridge.result()
            except CommandError as error:
                yield writer.error(ApiError.from_command_error(error))
                return
            assert isinstance(result, GenerationResult)
            yield writer.finish(result)
            if not pending:
                break
            try:
                bridge = await start_generation(None, gateway, pending.pop(0), model=result.model)
            except ApiError as error:
                yield writer.error(error)
                return
            batch = await bridge.next_batch()
        yield writer.end()
    finally:
        bridge.cancel()
