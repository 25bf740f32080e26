"""`POST /v1/messages` (streamed or not) and `POST /v1/messages/count_tokens`."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..flow import Plan, generate_to_end, read_body, stream_answers
from ..gateway import InferenceGateway
from . import translate
from .stream import MessageStreamWriter
from .wire import CountTokensRequest, MessagesRequest


def anthropic_router(gateway: InferenceGateway) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/messages", response_model=None)
    async def messages(request: Request) -> Response:
        body = await read_body(request, MessagesRequest)
        plan = Plan(translate.generate_request(body, gateway.default_sampling()))
        thinking = translate.shows_thinking(body)
        if not body.stream:
            result = await generate_to_end(request, gateway, plan)
            message = translate.message_out(result, body.model, thinking=thinking)
            return JSONResponse(message.model_dump(mode="json"))
        writer = MessageStreamWriter(body.model, thinking=thinking)
        return await stream_answers(request, gateway, [plan], writer)

    @router.post("/v1/messages/count_tokens")
    async def count_tokens(request: Request) -> JSONResponse:
        body = await read_body(request, CountTokensRequest)
        generate = translate.prompt_request(body, gateway.default_sampling())
        count = await asyncio.to_thread(gateway.count_prompt, generate)
        return JSONResponse({"input_tokens": count})

    return router
