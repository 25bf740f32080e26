"""Ollama's `/api/...` routes. Generation shares the server's flow (fair queue, just-in-time
loading, cancel on disconnect); the library and the loaded models are reached through the
model commands."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from llamadesk.core.models.library import CopyParams, ModelSummary, ReferenceParams, RemoveResult
from llamadesk.core.models.llama import GenerateRequest, LoadOptions

from ..errors import ApiError
from ..flow import Plan, generate_to_end, read_body, stream_answers
from ..gateway import InferenceGateway
from . import models, translate, wire
from .options import keep_alive_seconds, load_with
from .pull import pull
from .stream import MEDIA_TYPE, OllamaStreamWriter, line

# The Ollama API version whose routes and fields this server follows (clients read it to
# decide which features to use).
OLLAMA_API_VERSION = "0.12.0"


def ollama_router(gateway: InferenceGateway) -> APIRouter:
    router = APIRouter(prefix="/api")

    @router.get("/version")
    async def version() -> dict[str, str]:
        return {"version": OLLAMA_API_VERSION}

    @router.get("/tags")
    async def tags() -> JSONResponse:
        return JSONResponse(await asyncio.to_thread(models.tags, gateway))

    @router.get("/ps")
    async def ps() -> JSONResponse:
        return JSONResponse(await asyncio.to_thread(models.ps, gateway))

    @router.post("/show")
    async def show(request: Request) -> JSONResponse:
        body = await read_body(request, wire.NamedRequest)
        return JSONResponse(await asyncio.to_thread(models.show, gateway, body.model))

    @router.post("/chat", response_model=None)
    async def chat(request: Request) -> Response:
        body = await read_body(request, wire.ChatRequest)
        if not body.messages:
            return await _load_only(gateway, body, {"message": {"role": "assistant", "content": ""}})
        generate = translate.chat_request(body, gateway.default_sampling())
        return await _answer(request, gateway, body, generate, chat=True)

    @router.post("/generate", response_model=None)
    async def generate(request: Request) -> Response:
        body = await read_body(request, wire.GenerateRequest)
        if not body.prompt and not body.system:
            return await _load_only(gateway, body, {"response": ""})
        generate = translate.generate_request(body, gateway.default_sampling())
        return await _answer(request, gateway, body, generate, chat=False)

    @router.post("/embed")
    async def embed(request: Request) -> JSONResponse:
        body = await read_body(request, wire.EmbedRequest)
        texts = [body.input] if isinstance(body.input, str) else body.input
        if not texts:
            return JSONResponse({"model": body.model, "embeddings": []})
        clock = translate.Clock()
        keep = keep_alive_seconds(body.keep_alive)
        model = await _resolve(gateway, body.model, None, clock)
        result = await asyncio.to_thread(gateway.embed_texts, model, texts, keep)
        vectors = [_shortened(vector, body.dimensions) for vector in result.vectors]
        timings = clock.timings_of_prompt(result.prompt_tokens)
        return JSONResponse({"model": body.model, "embeddings": vectors, **timings})

    @router.post("/embeddings")
    async def embeddings(request: Request) -> JSONResponse:
        body = await read_body(request, wire.EmbeddingsRequest)
        if not body.prompt:
            return JSONResponse({"embedding": []})
        keep = keep_alive_seconds(body.keep_alive)
        result = await asyncio.to_thread(gateway.embed_texts, body.model, [body.prompt], keep)
        return JSONResponse({"embedding": result.vectors[0]})

    @router.post("/pull", response_model=None)
    async def pull_model(request: Request) -> Response:
        body = await read_body(request, wire.PullRequest)
        return await pull(request, gateway, body.model, body.stream)

    @router.delete("/delete")
    async def delete(request: Request) -> Response:
        body = await read_body(request, wire.NamedRequest)
        reference = await _library_reference(gateway, body.model)
        await asyncio.to_thread(
            gateway.invoke, "models.rm", ReferenceParams(reference=reference), RemoveResult
        )
        return Response(status_code=200)

    @router.post("/copy")
    async def copy(request: Request) -> Response:
        body = await read_body(request, wire.CopyRequest)
        source = await _library_reference(gateway, body.source)
        params = CopyParams(source=source, target=body.destination)
        await asyncio.to_thread(gateway.invoke, "models.copy", params, ModelSummary)
        return Response(status_code=200)

    return router


async def _answer(
    request: Request,
    gateway: InferenceGateway,
    body: wire.ChatRequest | wire.GenerateRequest,
    generate: GenerateRequest,
    *,
    chat: bool,
) -> Response:
    clock = translate.Clock()
    load = load_with(body.options, gateway.default_load())
    keep = keep_alive_seconds(body.keep_alive)  # a bad one is a 400 before any loading
    model = await _resolve(gateway, body.model, load, clock)
    plan = Plan(generate.model_copy(update={"model": model}), load=load, keep_alive=keep)
    thinking = body.think is not False
    if not body.stream:
        result = await generate_to_end(request, gateway, plan)
        answer = translate.chat_answer if chat else translate.generate_answer
        return JSONResponse(answer(result, body.model, clock, thinking=thinking))
    writer = OllamaStreamWriter(body.model, clock, chat=chat, thinking=thinking)
    return await stream_answers(request, gateway, [plan], writer)


async def _resolve(
    gateway: InferenceGateway, name: str, load: LoadOptions | None, clock: translate.Clock
) -> str:
    """The model's id, loaded (with `load` when it was not loaded yet); the time it took is
    the answer's load_duration."""
    started = time.perf_counter()
    model = await asyncio.to_thread(gateway.resolve_model, name, load)
    clock.load_seconds = time.perf_counter() - started
    return model


async def _load_only(
    gateway: InferenceGateway, body: wire.ChatRequest | wire.GenerateRequest, empty: dict[str, Any]
) -> Response:
    """Ollama's way to load a model (no messages or prompt), or to unload it (keep_alive 0)."""
    keep = keep_alive_seconds(body.keep_alive)
    if keep == 0:
        await asyncio.to_thread(gateway.unload, body.model)
        reason = "unload"
    else:
        load = load_with(body.options, gateway.default_load())
        model = await asyncio.to_thread(gateway.resolve_model, body.model, load)
        if keep is not None:
            await asyncio.to_thread(gateway.keep_alive, model, keep)
        reason = "load"
    answer = {
        "model": body.model,
        "created_at": translate.created_at(),
        **empty,
        "done": True,
        "done_reason": reason,
    }
    media_type = MEDIA_TYPE if body.stream else "application/json"
    return Response(line(answer), media_type=media_type)


async def _library_reference(gateway: InferenceGateway, name: str) -> str:
    reference = await asyncio.to_thread(gateway.library_reference, name)
    if reference is None:
        raise ApiError(404, f"model '{name}' not found", code="model_not_found")
    return reference


def _shortened(vector: list[float], dimensions: int | None) -> list[float]:
    """The first `dimensions` values, scaled back to length 1 (Ollama's `dimensions`)."""
    if dimensions is None or dimensions >= len(vector):
        return vector
    head = vector[:dimensions]
    norm = math.sqrt(sum(value * value for value in head)) or 1.0
    return [value / norm for value in head]
