"""documents.read: a file's text with locations, from the first reader plugin that takes its format.

The readers are plugins (the `read_document` hook); this command is how the rest of the
app, the documents plugin included, reaches them. The checks every reader would repeat
(the file exists, is a file, is not too large) are made here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import N_, InvalidParams, NotFound
from ..models.documents import DocumentText, ReadDocumentParams
from ..models.units import size_label
from .context import CommandContext
from .spec import CommandSpec

Reader = Callable[[Path, int], DocumentText | None]


def read_checked(read: Reader, path: Path, max_bytes: int) -> DocumentText:
    """`read(path)` after the checks; a file over `max_bytes` or in no reader's format gets a
    `problem` instead of text."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise NotFound(N_("no file {path}"), path=path) from None
    except OSError as exc:
        raise InvalidParams(N_("cannot open {path}: {strerror}"), path=path, strerror=exc.strerror) from None
    if path.is_dir():
        raise InvalidParams(N_("{path} is a folder; add it as a collection instead"), path=path)
    if stat.st_size > max_bytes:
        return DocumentText(
            path=str(path),
            format="unknown",
            size_bytes=stat.st_size,
            problem=f"{path.name} is {size_label(stat.st_size)}, over the {size_label(max_bytes)} "
            "limit for reading a file",
        )
    document = read(path, max_bytes)
    if document is None:
        return DocumentText(
            path=str(path),
            format="unknown",
            size_bytes=stat.st_size,
            problem=f"no reader takes {path.suffix or 'files without an extension'} files",
        )
    return document


def document_commands(read: Reader) -> list[CommandSpec]:
    def read_document(params: ReadDocumentParams, ctx: CommandContext) -> DocumentText:
        return read_checked(read, Path(params.path).expanduser(), params.max_bytes)

    return [
        CommandSpec(
            id="documents.read",
            title="Read a document",
            description="A file's text with where each part is (page, line), from the reader plugin "
            "that takes its format; `problem` says why a file has no text (encrypted, scanned, binary).",
            params=ReadDocumentParams,
            result=DocumentText,
            handler=read_document,
        )
    ]
