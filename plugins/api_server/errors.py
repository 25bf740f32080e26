"""OpenAI-style error answers: `{"error": {message, type, param, code}}` with the right status."""

from __future__ import annotations

import logging

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
    "not_found": 404,
    "already_exists": 409,
    "cancelled": 499,  # the client went away; nobody reads this answer
    "generation_failed": 400,  # prompt too long for the context, bad grammar
    "unavailable": 503,
    "model_crashed": 503,  # its worker died; the next request loads it again
    "insufficient_memory": 507,
    "insufficient_space": 507,  # the disk is full (HTTP 507: Insufficient Storage)
    # load_failed, internal and anything unknown: 500
}


class ApiError(Exception):
    """Raised inside a route; turned into an OpenAI error body by the handler below."""

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
        self.detail = ErrorDetail(message=message, type=type, param=param, code=code)

    @classmethod
    def from_command_error(cls, error: CommandError) -> ApiError:
        status = STATUS_BY_CODE.get(error.code, 500)
        kind = "invalid_request_error" if status < 500 else "server_error"
        code = "model_not_found" if error.code == "not_found" else error.code
        return cls(status, error.message, type=kind, code=code)

    def body(self) -> dict[str, object]:
        return ErrorBody(error=self.detail).model_dump(mode="json")


def error_response(error: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


def install_error_handlers(api: FastAPI) -> None:
    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            message = f"Unknown route {request.method} {request.url.path}; see GET /v1/models."
        else:
            message = str(exc.detail)
        return error_response(ApiError(exc.status_code, message, code=_code_for(exc.status_code)))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("API request %s %s failed", request.method, request.url.path, exc_info=exc)
        message = f"Internal error: {type(exc).__name__}: {exc}"
        return error_response(ApiError(500, message, type="server_error", code="internal"))

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(StarletteHTTPException, on_http_error)
    api.add_exception_handler(Exception, on_unexpected)


def _code_for(status: int) -> str | None:
    return {404: "not_found", 405: "method_not_allowed"}.get(status)
