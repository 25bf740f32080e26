"""`/api/pull` through the library (`models.pull`), as Ollama's progress lines:
`pulling manifest`, `pulling <digest>` with `total`/`completed`, `verifying sha256 digest`,
`writing manifest`, `success`. A client that goes away cancels the pull (its partial
download is kept for the next one)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from llamadesk.core.commands import CommandError
from llamadesk.core.models.library import PullProgress, ReferenceParams

from ..bridge import CommandBridge
from ..errors import ApiError, Dialect
from ..flow import STREAM_HEADERS, until_disconnect
from ..gateway import InferenceGateway
from .stream import MEDIA_TYPE, line

PHASES = {
    "resolving": "pulling manifest",
    "verifying": "verifying sha256 digest",
    "writing": "writing manifest",
}


def progress_lines(batch: list[BaseModel]) -> list[dict[str, Any]]:
    """Ollama's lines for a batch of progress events: the last byte count of a run of
    downloading events, each phase change once."""
    lines: list[dict[str, Any]] = []
    for event in batch:
        if not isinstance(event, PullProgress):
            continue
        if event.phase == "downloading" and event.digest:
            entry = {
                "status": f"pulling {event.digest.removeprefix('sha256:')[:12]}",
                "digest": event.digest,
                "total": int(event.total or 0),
                "completed": int(event.done),
            }
            if lines and lines[-1].get("digest") == event.digest:
                lines[-1] = entry
            else:
                lines.append(entry)
        elif event.phase in PHASES and (not lines or lines[-1]["status"] != PHASES[event.phase]):
            lines.append({"status": PHASES[event.phase]})
    return lines


async def pull(request: Request, gateway: InferenceGateway, reference: str, stream: bool) -> Response:
    bridge = CommandBridge(asyncio.get_running_loop(), lambda _cancelled: None)
    try:
        bridge.start(gateway.commands, "models.pull", ReferenceParams(reference=reference))
    except CommandError as error:
        raise ApiError.from_command_error(error) from None
    if not stream:
        waiting = asyncio.ensure_future(bridge.wait())
        if not await until_disconnect(request, waiting):
            bridge.cancel()
            raise ApiError(499, "The client disconnected; the pull was stopped.", code="cancelled")
        try:
            waiting.result()
        except CommandError as error:
            raise ApiError.from_command_error(error) from None
        return JSONResponse({"status": "success"})
    return StreamingResponse(_lines(bridge), media_type=MEDIA_TYPE, headers=STREAM_HEADERS)


async def _lines(bridge: CommandBridge) -> AsyncIterator[bytes]:
    try:
        while batch := await bridge.next_batch():
            out = b"".join(line(entry) for entry in progress_lines(batch))
            if out:
                yield out
        try:
            bridge.result()
        except CommandError as error:
            yield line(ApiError.from_command_error(error).body(Dialect.OLLAMA))
            return
        yield line({"status": "success"})
    finally:
        bridge.cancel()
