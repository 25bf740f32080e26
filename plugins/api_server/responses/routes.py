"""`POST /v1/responses`, stateless: streamed or not; nothing is stored to be fetched later."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..flow import Plan, generate_to_end, read_body, stream_answers
from ..gateway import InferenceGateway
from . import translate
from .stream import ResponseStreamWriter
from .wire import ResponsesRequest


def responses_router(gateway: InferenceGateway) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/responses", response_model=None)
    async def responses(request: Request) -> Response:
        body = await read_body(request, ResponsesRequest)
        generate = translate.generate_request(body, gateway.default_sampling())
        shell = translate.ResponseShell(body, generate)
        if not body.stream:
            result = await generate_to_end(request, gateway, Plan(generate))
            response = shell.object(translate.status_of(result), translate.output_items(result), result)
            return JSONResponse(response)
        return await stream_answers(request, gateway, [Plan(generate)], ResponseStreamWriter(shell))

    return router
