"""The HTTP app: the guards every request passes, `/health`, and each dialect's routes.

| dialect | routes | module |
|---|---|---|
| OpenAI | `/v1/models`, `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings` | `openai_routes.py` |
| OpenAI Responses | `/v1/responses` | `responses/` |
| Anthropic | `/v1/messages`, `/v1/messages/count_tokens` | `anthropic/` |
| Ollama | `/api/...` | `ollama/` |

All of them share one gateway (command table, fair queue, just-in-time loading) and
answer errors in their own shape (`errors.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from .anthropic.routes import anthropic_router
from .errors import install_error_handlers
from .gateway import InferenceGateway
from .guards import ApiKeyMiddleware, BodyLimitMiddleware
from .ollama.routes import ollama_router
from .openai_routes import openai_router
from .responses.routes import responses_router


def build_api(gateway: InferenceGateway, api_key: str | None, max_body_bytes: Callable[[], int]) -> FastAPI:
    api = FastAPI(title="llamadesk", description="The local API of llamadesk", docs_url=None, redoc_url=None)
    install_error_handlers(api)
    # Added last runs first: the key is checked before a byte of the body is read.
    api.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    if api_key:
        api.add_middleware(ApiKeyMiddleware, api_key=api_key)

    @api.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/", response_class=PlainTextResponse)
    async def root() -> str:
        # Ollama answers this, and some of its clients check for it before anything else.
        return "Ollama is running"

    for router in (
        openai_router(gateway),
        responses_router(gateway),
        anthropic_router(gateway),
        ollama_router(gateway),
    ):
        api.include_router(router)
    return api
