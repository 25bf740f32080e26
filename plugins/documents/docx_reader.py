"""Word documents (.docx): paragraphs and table rows, in order, read with the standard library.

A .docx file is a zip whose `word/document.xml` holds the body: paragraphs (`w:p`, their
text in `w:t` runs) and tables (`w:tbl` of rows `w:tr` of cells `w:tc`). Reading that is a
small job; python-docx would bring lxml, 16 MB of the bundle's 150, for it.

A .docx file has no pages until a word processor lays it out, so passages carry no
location beyond the file; each paragraph is its own section so a passage can start at one.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

from llamadesk.core.errors import N_
from llamadesk.core.models.documents import DocumentText, TextSection, unreadable
from llamadesk.core.models.phrase import phrase

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
BODY_PART = "word/document.xml"


def read_docx(path: Path, size: int) -> DocumentText:
    try:
        with zipfile.ZipFile(path) as archive:
            root = ElementTree.fromstring(archive.read(BODY_PART))
        body = root.find(f"{W}body")
        if body is None:
            raise ValueError("the document has no body")
        sections = [TextSection(text=text) for text in map(_block_text, body) if text]
    except Exception as exc:  # a damaged zip, a missing part, bad XML: all the same to the user
        return DocumentText(
            path=str(path),
            format="docx",
            size_bytes=size,
            **unreadable(
                phrase(
                    N_("{name} could not be read as a Word document: {reason}"),
                    name=path.name,
                    reason=str(exc)[:160] or type(exc).__name__,
                )
            ),
        )
    problem = {} if sections else unreadable(phrase(N_("{name} has no text"), name=path.name))
    return DocumentText(path=str(path), format="docx", sections=sections, size_bytes=size, **problem)


def _block_text(block: ElementTree.Element) -> str:
    """A body paragraph's text, or a table's rows as `cell | cell` lines; "" for the rest."""
    if block.tag == f"{W}p":
        return _paragraph_text(block).strip()
    if block.tag == f"{W}tbl":
        rows = [" | ".join(_cell_text(cell) for cell in row.iter(f"{W}tc")) for row in block.iter(f"{W}tr")]
        return "\n".join(rows).strip()
    return ""


def _cell_text(cell: ElementTree.Element) -> str:
    return " ".join(text for text in (_paragraph_text(p).strip() for p in cell.iter(f"{W}p")) if text)


def _paragraph_text(paragraph: ElementTree.Element) -> str:
    """The runs' text, with tabs and line breaks as Word shows them."""
    parts = []
    for node in paragraph.iter():
        if node.tag == f"{W}t" and node.text:
            parts.append(node.text)
        elif node.tag == f"{W}tab":
            parts.append("\t")
        elif node.tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
    return "".join(parts)
