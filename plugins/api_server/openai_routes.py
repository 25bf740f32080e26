"""OpenAI's /v1 surface: models, chat completions, text completions, embeddings.

Every request goes through the command table like the UI's (`flow.py`): `runtime.generate`
for text, the model commands for listing. `n` answers are generated one after the other,
each taking its turn in the model's queue.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from llamadesk.core.models.llama import GenerationResult
from llamadesk.lib.openai_api import (
    ChatCompletionRequest,
    Completion,
    CompletionChoice,
    CompletionRequest,
    EmbeddingRequest,
)

from . import translate
from .errors import ApiError
from .file_parts import with_file_texts
from .flow import Plan, generate_to_end, read_body, stream_answers
from .gateway import InferenceGateway
from .sse import ChatChunkWriter, TextChunkWriter


def openai_router(gateway: InferenceGateway) -> APIRouter:
    router = APIRouter()

    @router.get("/v1/models", response_model=None)
    async def list_models(request: Request) -> JSONResponse:
        models = await asyncio.to_thread(gateway.list_models)
        if "anthropic-version" in request.headers:  # Anthropic's clients list models here too
            return JSONResponse(anthropic_model_list([card.id for card in models.data]))
        return JSONResponse(models.model_dump(mode="json"))

    @router.get("/v1/models/{model_id:path}")
    async def get_model(model_id: str) -> JSONResponse:
        models = await asyncio.to_thread(gateway.list_models)
        for card in models.data:
            if card.id == model_id:
                return JSONResponse(card.model_dump(mode="json"))
        raise ApiError(404, f"The model {model_id!r} does not exist.", code="model_not_found", param="model")

    @router.post("/v1/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> Response:
        body = await read_body(request, ChatCompletionRequest)
        body = await asyncio.to_thread(with_file_texts, body, gateway)
        generate = translate.generate_request(body, gateway.default_sampling())
        plans = [Plan(g) for g in translate.choices(generate, body.n)]
        if not body.stream:
            results = await _each(request, gateway, plans)
            return JSONResponse(translate.chat_completion(results, body.model).model_dump(mode="json"))
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        writer = ChatChunkWriter(translate.new_id("chatcmpl"), translate.now(), body.model, include_usage)
        return await stream_answers(request, gateway, plans, writer)

    @router.post("/v1/completions", response_model=None)
    async def completions(request: Request) -> Response:
        body = await read_body(request, CompletionRequest)
        translate.refuse_unsupported(body)
        prompt = body.prompt if isinstance(body.prompt, str) else "".join(body.prompt)
        generate = gateway.completion_request(body, prompt)
        plans = [Plan(g) for g in translate.choices(generate, body.n)]
        if not body.stream:
            results = await _each(request, gateway, plans)
            answer = Completion(
                id=translate.new_id("cmpl"),
                created=translate.now(),
                model=body.model,
                choices=[
                    CompletionChoice(
                        index=index,
                        text=result.content,
                        finish_reason=translate.finish_reason(result.stop_reason),
                        logprobs=translate.completion_logprobs(result.logprobs),
                    )
                    for index, result in enumerate(results)
                ],
                usage=translate.usage_of(results),
            )
            return JSONResponse(answer.model_dump(mode="json"))
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        writer = TextChunkWriter(translate.new_id("cmpl"), translate.now(), body.model, include_usage)
        return await stream_answers(request, gateway, plans, writer)

    @router.post("/v1/embeddings")
    async def embeddings(request: Request) -> JSONResponse:
        body = await read_body(request, EmbeddingRequest)
        result = await asyncio.to_thread(gateway.embed, body)
        return JSONResponse(result.model_dump(mode="json"))

    return router


async def _each(request: Request, gateway: InferenceGateway, plans: list[Plan]) -> list[GenerationResult]:
    return [await generate_to_end(request, gateway, plan) for plan in plans]


def anthropic_model_list(ids: list[str]) -> dict[str, object]:
    """`GET /v1/models` as Anthropic's API answers it (`anthropic-version` header sent)."""
    data = [
        {"type": "model", "id": model_id, "display_name": model_id, "created_at": "1970-01-01T00:00:00Z"}
        for model_id in ids
    ]
    return {
        "data": data,
        "has_more": False,
        "first_id": ids[0] if ids else None,
        "last_id": ids[-1] if ids else None,
    }
