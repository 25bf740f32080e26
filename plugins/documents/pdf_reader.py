"""PDF: the text layer, one section per page, with pypdf.

pypdf is pure Python and well kept; it decrypts files protected with an empty user
password (common for "no printing" PDFs). A password-protected, scanned-only (no text
layer: llamadesk does no OCR) or damaged PDF gets one sentence in `problem`; a page
that fails alone is left out with a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path

from llamadesk.core.errors import N_
from llamadesk.core.models.documents import DocumentText, TextSection, unreadable
from llamadesk.core.models.phrase import Phrase, phrase

# pypdf logs every oddity of a file it can still read: not the user's concern.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def read_pdf(path: Path, size: int) -> DocumentText:
    from pypdf import PdfReader  # imported on first use: the app starts without it

    def failed(problem: Phrase, pages: int | None = None) -> DocumentText:
        return DocumentText(path=str(path), format="pdf", size_bytes=size, pages=pages, **unreadable(problem))

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            return failed(
                phrase(
                    N_("{name} is protected by a password; save an unprotected copy to use it"),
                    name=path.name,
                )
            )
        pages = reader.pages
        count = len(pages)
    except Exception as exc:  # pypdf raises many kinds for damaged files, and decrypting can too
        if "crypt" in str(exc).lower():
            return failed(
                phrase(
                    N_("{name} is encrypted in a way that cannot be read ({reason})"),
                    name=path.name,
                    reason=str(exc),
                )
            )
        return failed(
            phrase(N_("{name} could not be read as a PDF: {reason}"), name=path.name, reason=_short(exc))
        )
    sections, broken = [], []
    for number in range(1, count + 1):
        try:
            text = pages[number - 1].extract_text() or ""
        except Exception:
            broken.append(number)
            continue
        if text.strip():
            sections.append(TextSection(text=text.strip(), page=number))
    if not sections:
        if broken:
            return failed(
                phrase(N_("{name} could not be read as a PDF: no page could be read"), name=path.name), count
            )
        return failed(
            phrase(
                N_("{name} has no text layer (scanned pages?); text in images is not read"), name=path.name
            ),
            count,
        )
    warnings = []
    if broken:
        warnings.append(f"pages {_ranges(broken)} could not be read")
    empty = count - len(sections) - len(broken)
    if empty:
        warnings.append(f"{empty} of {count} pages have no text layer")
    return DocumentText(
        path=str(path), format="pdf", sections=sections, pages=count, size_bytes=size, warnings=warnings
    )


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)
