"""The built-in readers, chosen by the file's name, else by its first bytes.

Whatever happens inside a reader becomes a `problem` on the result: the reader hook must
not raise (a raising hook disables its plugin), and one bad file must not stop a folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

from llamadesk.core.errors import N_
from llamadesk.core.models.documents import DocumentText, unreadable
from llamadesk.core.models.phrase import phrase

from .docx_reader import read_docx
from .html_reader import read_html
from .pdf_reader import read_pdf
from .text_reader import BINARY, SNIFF_BYTES, binary_problem, looks_binary, read_text, text_format

log = logging.getLogger(__name__)

HTML = frozenset({".html", ".htm", ".xhtml"})


def read_builtin(path: Path, max_bytes: int) -> DocumentText:
    """The file's text, or a `problem` saying why there is none (never raises)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return DocumentText(
                path=str(path),
                format="unknown",
                size_bytes=size,
                **unreadable(phrase(N_("{name} is too large"), name=path.name)),
            )
        return _read(path, size)
    except OSError as exc:
        return DocumentText(
            path=str(path),
            format="unknown",
            **unreadable(
                phrase(N_("{name} could not be read: {reason}"), name=path.name, reason=exc.strerror)
            ),
        )
    except Exception as exc:
        log.warning("reading %s failed", path, exc_info=True)
        return DocumentText(
            path=str(path),
            format="unknown",
            **unreadable(
                phrase(N_("{name} could not be read: {reason}"), name=path.name, reason=type(exc).__name__)
            ),
        )


def _read(path: Path, size: int) -> DocumentText:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return read_pdf(path, size)
    if suffix == ".docx":
        return read_docx(path, size)
    if suffix in HTML:
        return read_html(path, size)
    fmt = text_format(path)
    if fmt is None and suffix in BINARY:
        return DocumentText(path=str(path), format="binary", size_bytes=size, **binary_problem(path))
    if fmt is None:
        with path.open("rb") as file:
            head = file.read(SNIFF_BYTES)
        if head.startswith(b"%PDF-"):
            return read_pdf(path, size)
        if looks_binary(head):
            return DocumentText(path=str(path), format="binary", size_bytes=size, **binary_problem(path))
    return read_text(path, fmt, size)
