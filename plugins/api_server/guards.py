"""What every request passes before a route sees it: the API key, and the body size cap.

Plain ASGI middlewares, not `@app.middleware`: that one re-streams every response
through a memory channel and hides client disconnects from the routes.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError, error_response

OPEN_PATHS = {"/health", "/"}  # never need the key


class ApiKeyMiddleware:
    """Rejects requests without the key (401), sent as `Authorization: Bearer <key>` (OpenAI,
    Ollama) or `x-api-key: <key>` (Anthropic's clients)."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self._key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in OPEN_PATHS and not self._matches(scope):
            message = (
                "Incorrect or missing API key. Send it as 'Authorization: Bearer <key>' or "
                "'x-api-key: <key>' (the server's key is the server.api_key setting)."
            )
            error = ApiError(401, message, code="invalid_api_key")
            await error_response(error, scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _matches(self, scope: Scope) -> bool:
        headers = dict(scope["headers"])
        given = headers.get(b"x-api-key")
        if given is None:
            scheme, _, given = headers.get(b"authorization", b"").partition(b" ")
            if scheme.lower() != b"bearer":
                return False
        return hmac.compare_digest(given.strip(), self._key)


class BodyLimitMiddleware:
    """Answers 413 for a body over the cap before anything parses it: at once when
    Content-Length says so, else as soon as the chunks read add up to more."""

    def __init__(self, app: ASGIApp, max_bytes: Callable[[], int]) -> None:
        self.app = app
        self._max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._max_bytes()
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await error_response(too_large(limit), scope["path"])(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)  # inside the route: written by the error handlers
            return message

        await self.app(scope, counted, send)


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The request body is over the server's limit of {limit} bytes (the server.max_body_mb setting).",
        code="request_too_large",
    )
