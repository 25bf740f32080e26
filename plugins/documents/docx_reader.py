"""Word documents (.docx) with python-docx: paragraphs and table rows, in order.

A .docx file has no pages until a word processor lays it out, so passages carry no
location beyond the file; each paragraph is its own section so a passage can start at one.
"""

from __future__ import annotations

from pathlib import Path

from llamadesk.core.models.documents import DocumentText, TextSection


def read_docx(path: Path, size: int) -> DocumentText:
    import docx  # python-docx, imported on first use
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
        sections = []
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                text = block.text.strip()
            elif isinstance(block, Table):
                text = "\n".join(
                    " | ".join(cell.text.strip() for cell in row.cells) for row in block.rows
                ).strip()
            else:
                continue
            if text:
                sections.append(TextSection(text=text))
    except Exception as exc:  # a damaged zip, a missing part, bad XML: all the same to the user
        return DocumentText(
            path=str(path),
            format="docx",
            size_bytes=size,
            problem=f"{path.name} could not be read as a Word document: {str(exc)[:160] or type(exc).__name__}",
        )
    problem = None if sections else f"{path.name} has no text"
    return DocumentText(path=str(path), format="docx", sections=sections, size_bytes=size, problem=problem)
