"""OpenAI's `file` content parts: a file sent inline (base64 `file_data`) read like an attachment.

The bytes are written to a temporary file named as the client named it, so the same
readers as the chat's attachments (`documents.read`, the `read_document` plugins) take
it by its extension; its text then goes into the message the way the chat and the
Anthropic route put an attached file's text, and the temporary file is deleted.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path

from llamadesk.core.models.documents import DocumentText, ReadDocumentParams
from llamadesk.lib.openai_api import ChatCompletionRequest, ContentPart

from .errors import ApiError
from .gateway import InferenceGateway

MAX_FILE_BYTES = 32_000_000  # decoded; a request this large already took a while to send


def with_file_texts(request: ChatCompletionRequest, gateway: InferenceGateway) -> ChatCompletionRequest:
    """The request with each `file` part replaced by a text part holding the file's text.
    Blocking (reads files): the route runs it in a thread."""
    if not any(_has_file(message.content) for message in request.messages):
        return request
    messages = []
    for index, message in enumerate(request.messages):
        content = message.content
        if isinstance(content, list) and _has_file(content):
            parts = [
                _as_text(part, gateway, f"messages.{index}.content.{number}") if part.type == "file" else part
                for number, part in enumerate(content)
            ]
            message = message.model_copy(update={"content": parts})
        messages.append(message)
    return request.model_copy(update={"messages": messages})


def _has_file(content: object) -> bool:
    return isinstance(content, list) and any(part.type == "file" for part in content)


def _as_text(part: ContentPart, gateway: InferenceGateway, where: str) -> ContentPart:
    file = part.file
    if file is None or not file.file_data:
        raise ApiError(
            400,
            f"{where}: only files sent inline are read by this server (file.file_data, base64); "
            "uploaded file ids are not kept",
            param=where,
        )
    data = _decoded(file.file_data, where)
    name = Path(file.filename or "document").name or "document"
    with tempfile.TemporaryDirectory(prefix="llamadesk-file-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        document = gateway.invoke(
            "documents.read", ReadDocumentParams(path=str(path), max_bytes=MAX_FILE_BYTES), DocumentText
        )
    if document.problem is not None:
        raise ApiError(400, f"{where}: {document.problem}", param=where)
    return ContentPart(type="text", text=f'<file name="{name}">\n{document.text}\n</file>\n\n')


def _decoded(file_data: str, where: str) -> bytes:
    """Plain base64, or a data: URL as OpenAI's examples send it (`data:application/pdf;base64,...`)."""
    encoded = file_data.split(",", 1)[1] if file_data.startswith("data:") else file_data
    if len(encoded) > MAX_FILE_BYTES * 4 // 3 + 4:
        raise ApiError(
            400, f"{where}: the file is over the {MAX_FILE_BYTES // 1_000_000} MB limit", param=where
        )
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, f"{where}: file.file_data is not valid base64", param=where) from None
