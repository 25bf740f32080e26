"""documents.read: each built-in reader on real files, bad files, and a reader from a plugin."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.models.documents import DocumentText, TextSection

from .files import write_docx, write_pdf, write_scanned_pdf


def read(app: App, path: Path, **params: object) -> DocumentText:
    result = app.commands.invoke("documents.read", {"path": str(path), **params})
    assert isinstance(result, DocumentText)
    return result


def test_markdown_code_and_plain_text_keep_their_lines(app: App, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Plan\r\n\r\nShip on **Friday**.\r\n")
    code = tmp_path / "tool.py"
    code.write_text("def main():\n    return 42\n")
    plain = tmp_path / "README"
    plain.write_text("caf\u00e9 menu\n", encoding="cp1252")
    assert read(app, notes).model_dump(include={"format", "sections"}) == {
        "format": "markdown",
        "sections": [{"text": "# Plan\n\nShip on **Friday**.\n", "page": None, "line": 1}],
    }
    assert read(app, code).format == "code"
    assert read(app, plain).text == "caf\u00e9 menu\n"


def test_html_gives_the_visible_text_only(app: App, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>T</title><style>p {color: red}</style></head>\n"
        "<body><script>var secret = 1;</script>\n<h1>Harbour &amp; Docks</h1>\n"
        "<p>Berth <b>7</b> opens\nat dawn.</p></body></html>"
    )
    document = read(app, page)
    assert document.format == "html"
    assert [(s.text, s.line) for s in document.sections] == [
        ("T", 1),
        ("Harbour & Docks", 3),
        ("Berth 7 opens at dawn.", 4),
    ]
    assert "secret" not in document.text and "color" not in document.text


def test_pdf_text_comes_page_by_page(app: App, tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "report.pdf", ["Introduction.", "The vault code is 7731.", "Summary."])
    document = read(app, pdf)
    assert document.format == "pdf" and document.pages == 3 and document.problem is None
    assert [s.page for s in document.sections] == [1, 2, 3]
    assert "7731" in document.sections[1].text


def test_docx_paragraphs_and_tables(app: App, tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "memo.docx",
        ["Quarterly memo", "Sales rose in the north."],
        table=[["Region", "Units"], ["North", "4812"]],
    )
    document = read(app, path)
    assert document.format == "docx"
    assert [s.text for s in document.sections] == [
        "Quarterly memo",
        "Sales rose in the north.",
        "Region | Units\nNorth | 4812",
    ]


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("locked.pdf", lambda p: write_pdf(p, ["secret"], password="pw"), "protected by a password"),
        ("scan.pdf", write_scanned_pdf, "has no text layer"),
        ("broken.pdf", lambda p: p.write_bytes(b"%PDF-1.7\n" + b"\x13garbage" * 500), "could not be read"),
        ("broken.docx", lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "could not be read"),
        ("data.bin", lambda p: p.write_bytes(bytes(range(256)) * 40), "binary file"),
        ("photo.png", lambda p: p.write_bytes(b"\x89PNG\r\n"), "binary file"),
        ("empty.txt", lambda p: p.write_bytes(b""), "is empty"),
    ],
)
def test_a_file_without_text_says_why_in_one_sentence(
    app: App, tmp_path: Path, name: str, make, expected: str
) -> None:
    path = tmp_path / name
    make(path)
    before = (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    document = read(app, path)
    assert document.sections == [] and document.problem is not None
    assert expected in document.problem and name in document.problem
    assert "\n" not in document.problem
    # Read, never changed.
    assert (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()) == before


def test_a_truncated_pdf_is_a_problem_not_a_crash(app: App, tmp_path: Path) -> None:
    whole = write_pdf(tmp_path / "whole.pdf", ["one", "two", "three"]).read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole[: len(whole) // 2])
    document = read(app, cut)
    assert document.problem is not None or document.sections


def test_a_2_gb_file_is_refused_before_it_is_read(app: App, tmp_path: Path) -> None:
    huge = tmp_path / "huge.log"
    with huge.open("wb") as file:
        file.truncate(2_000_000_000)  # sparse: no disk used
    document = read(app, huge)
    assert document.problem == "huge.log is 2 GB, over the 64 MB limit for reading a file"
    assert read(app, huge, max_bytes=3_000_000_000).problem == "huge.log is a binary file, not text"


def test_missing_files_and_folders_are_errors(app: App, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as missing:
        read(app, tmp_path / "nope.txt")
    assert missing.value.code == "not_found"
    with pytest.raises(CommandError) as folder:
        read(app, tmp_path)
    assert folder.value.code == "invalid_params" and "collection" in folder.value.message


class EpubReader:
    """A plugin that reads one more format and leaves the rest to the built-in readers."""

    @hookimpl
    def read_document(self, context, path: Path, max_bytes: int) -> DocumentText | None:
        if path.suffix != ".epub":
            return None
        return DocumentText(path=str(path), format="epub", sections=[TextSection(text="Chapter one", page=1)])


def test_a_plugin_reads_its_format_and_the_built_in_readers_the_rest(app: App, tmp_path: Path) -> None:
    app.pm.register_isolated(EpubReader(), "epub", origin="test")
    book = tmp_path / "book.epub"
    book.write_bytes(b"PK\x03\x04")
    notes = tmp_path / "notes.txt"
    notes.write_text("plain")
    assert read(app, book).model_dump(include={"format", "text"}) == {"format": "epub"}
    assert read(app, book).text == "Chapter one"
    assert read(app, notes).format == "text"
    app.pm.unregister(name="epub")
    assert read(app, book).problem == "book.epub is a binary file, not text"
