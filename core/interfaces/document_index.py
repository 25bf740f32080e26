"""What the chat asks of the document index: the files and passages that go with a message.

The documents plugin provides it (the `get_document_index` hook); the chat service is
the only caller. The index decides how much of the prompt documents may take (its
`documents.context_share` setting), so the chat passes the whole prompt budget.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..models.documents import Attachment, Source
from ..streaming import CancelToken, EventSink


@runtime_checkable
class DocumentIndex(Protocol):
    def gather(
        self,
        files: list[str],
        collections: list[str],
        question: str,
        prompt_tokens: int,
        on_event: EventSink | None,
        token: CancelToken,
    ) -> tuple[list[Attachment], list[Source]]:
        """The attached `files` (each whole when it fits, else its passages most relevant to
        `question`) and the passages of `collections` that answer it, together within the
        documents' share of `prompt_tokens`. Raises NotFound for an unknown collection or
        file, UnreadableDocument for a file without text, Cancelled when `token` is."""
        ...
