"""Error answers in the dialect of the route that failed, with the right status.

One `ApiError` is raised anywhere a request goes wrong; how it is written depends on
which API the client speaks, told by the path:

- OpenAI (`/v1/...`): `{"error": {message, type, param, code}}`
- Ollama (`/api/...`): `{"error": "message"}`
- Anthropic (`/v1/messages...`): `{"type": "error", "error": {"type": ..., "message": ...}}`
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from llamadesk.core.commands import CommandError
from llamadesk.lib.openai_api import ErrorBody, ErrorDetail

log = logging.getLogger(__name__)

# A command error's stable code decides the HTTP status a client sees.
STATUS_BY_CODE = {
    "invalid_params": 400,
    "invalid_model_file": 400,
    "invalid_reference": 400,
    "not_found": 404,
    "already_exists": 409,
    "cancelled": 499,  # the client went away; nobody reads this answer
    "generation_failed": 400,  # prompt too long for the context, bad grammar
    "unavailable": 503,
    "model_crashed": 503,  # its worker died; the next request loads it again
    "insufficient_memory": 507,
    "insufficient_space": 507,  # the disk is full (HTTP 507: Insufficient Storage)
    "auth_required": 401,
    "registry_error": 502,
    "download_failed": 502,
    "digest_mismatch": 502,
    # load_failed, internal and anything unknown: 500
}

# Anthropic's error types by status (https://docs.anthropic.com/en/api/errors).
ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    507: "overloaded_error",
}


class Dialect(StrEnum):
    OPENAI = "openai"
    OLLAMA = "ollama"
    ANTHROPIC = "anthropic"


def dialect_for(path: str) -> Dialect:
    if path.startswith("/api/"):
        return Dialect.OLLAMA
    if path == "/v1/messages" or path.startswith("/v1/messages/"):
        return Dialect.ANTHROPIC
    return Dialect.OPENAI


class ApiError(Exception):
    """Raised inside a route; written in the route's dialect by the handlers below."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    @classmethod
    def from_command_error(cls, error: CommandError) -> ApiError:
        status = STATUS_BY_CODE.get(error.code, 500)
        kind = "invalid_request_error" if status < 500 else "server_error"
        code = "model_not_found" if error.code == "not_found" else error.code
        return cls(status, error.message, type=kind, code=code)

    def body(self, dialect: Dialect = Dialect.OPENAI) -> dict[str, Any]:
        if dialect is Dialect.OLLAMA:
            return {"error": self.message}
        if dialect is Dialect.ANTHROPIC:
            kind = ANTHROPIC_TYPES.get(
                self.status, "api_error" if self.status >= 500 else "invalid_request_error"
            )
            return {"type": "error", "error": {"type": kind, "message": self.message}}
        detail = ErrorDetail(message=self.message, type=self.type, param=self.param, code=self.code)
        return ErrorBody(error=detail).model_dump(mode="json")


def error_response(error: ApiError, path: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(error.body(dialect_for(path)), status_code=error.status, headers=headers)


def install_error_handlers(api: FastAPI) -> None:
    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc, request.url.path)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            message = f"Unknown route {request.method} {request.url.path}; see docs/api.md."
        else:
            message = str(exc.detail)
        error = ApiError(exc.status_code, message, code=_code_for(exc.status_code))
        return error_response(error, request.url.path)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("API request %s %s failed", request.method, request.url.path, exc_info=exc)
        message = f"Internal error: {type(exc).__name__}: {exc}"
        return error_response(ApiError(500, message, type="server_error", code="internal"), request.url.path)

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(StarletteHTTPException, on_http_error)
    api.add_exception_handler(Exception, on_unexpected)


def _code_for(status: int) -> str | None:
    return {404: "not_found", 405: "method_not_allowed"}.get(status)
