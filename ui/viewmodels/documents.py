"""Documents in the chat, without Kivy: files waiting to be sent (chips above the input), the
chips a sent message shows, and the numbered sources listed under an answer.

Rows are RecycleView data like `chat_rows.py`'s; their heights are known here (a line per
chip or source), so the list needs no measuring pass for them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from llamadesk.core.models.chat_history import ChatMessage
from llamadesk.core.models.documents import Attachment, DocumentText, Location, Source
from llamadesk.core.models.units import size_label

from ..catalogs import phrase_text, tr

READING, READY, PROBLEM = "reading", "ready", "problem"
LINE_HEIGHT = 30.0  # dp: one chip or source a line
HEADER_HEIGHT = 26.0  # dp: "Sources" above the list


def problem_text(document: DocumentText) -> str | None:
    """Why a file gave no text, in the window's language where the reader said it in parts."""
    if document.problem_parts is not None:
        return phrase_text(document.problem_parts, document.problem or "")
    return document.problem


@dataclass(frozen=True)
class PendingFile:
    """A file attached to the message being written: checked by documents.read (off the UI
    thread) before it is sent; a file with no text says why on its chip and is not sent."""

    path: str
    state: str = READING
    problem: str = ""
    pages: int | None = None
    size_bytes: int = 0

    @property
    def name(self) -> str:
        return Path(self.path).name

    def label(self) -> str:
        if self.state == PROBLEM:  # readers' reasons mostly name the file already
            return self.problem if self.name in self.problem else f"{self.name}: {self.problem}"
        if self.state == READING:
            return tr("{name} (reading…)").format(name=self.name)
        return f"{self.name} · {pages_or_size(self.pages, self.size_bytes)}"

    def read(self, pages: int | None, size_bytes: int, problem: str | None) -> PendingFile:
        if problem:
            return replace(self, state=PROBLEM, problem=problem, size_bytes=size_bytes)
        return replace(self, state=READY, pages=pages, size_bytes=size_bytes)


def pages_or_size(pages: int | None, size_bytes: int) -> str:
    if pages:
        return tr("1 page") if pages == 1 else tr("{count} pages").format(count=pages)
    return size_label(size_bytes)


def chip_text(attachment: Attachment) -> str:
    """`report.pdf · 12 pages · 1,830 tokens (3 of 40 passages)`, in the window's language."""
    used = tr("{count} tokens").format(count=f"{attachment.tokens:,}")
    if not attachment.whole:
        used += " " + tr("({used} of {total} passages)").format(
            used=len(attachment.parts), total=attachment.chunks
        )
    return " · ".join((attachment.name, pages_or_size(attachment.pages, attachment.size_bytes), used))


def location_text(where: Location) -> str:
    if where.page is not None:
        return tr("page {page}").format(page=where.page)
    if where.line_start is not None and where.line_end not in (None, where.line_start):
        return tr("lines {first}-{last}").format(first=where.line_start, last=where.line_end)
    return tr("line {line}").format(line=where.line_start) if where.line_start is not None else ""


def source_text(source: Source) -> str:
    """`[1] report.pdf, page 2`."""
    where = location_text(source)
    return f"[{source.number}] {source.name}" + (f", {where}" if where else "")


def path_in_text(text: str) -> str | None:
    """A path pasted into the input, alone on its line (quoted, or a file:// URL as file
    managers copy it), when it names a file: offered as an attachment."""
    line = text.strip()
    if not line or "\n" in line:
        return None
    if line[0] == line[-1] and line[0] in "'\"" and len(line) > 1:
        line = line[1:-1]
    if line.startswith("file://"):
        line = unquote(urlsplit(line).path)
    if not line.startswith(("/", "~")) and not (len(line) > 2 and line[1] == ":"):
        return None
    try:
        path = Path(line).expanduser()
        return str(path) if path.is_file() else None
    except OSError:
        return None


def document_rows(message: ChatMessage, line_height: float, header_height: float) -> list[dict[str, Any]]:
    """Rows after a message's body: a user message's attachment chips; an answer's sources."""
    rows: list[dict[str, Any]] = []
    if message.role.value == "user" and message.attachments:
        chips = [chip_text(a) for a in message.attachments]
        rows.append(
            {
                "viewclass": "AttachmentsRow",
                "message_id": message.id,
                "chips": chips,
                "height": line_height * len(chips),
            }
        )
    if message.role.value == "assistant" and message.sources:
        labels = [source_text(s) for s in message.sources]
        rows.append(
            {
                "viewclass": "SourcesRow",
                "message_id": message.id,
                "labels": labels,
                "height": header_height + line_height * len(labels),
            }
        )
    return rows


def sending_rows(files: list[str], line_height: float) -> list[dict[str, Any]]:
    """The chips of a message being sent, until its stored transcript (with what was read of
    each file) comes back."""
    if not files:
        return []
    chips = [tr("{name} (reading…)").format(name=Path(path).name) for path in files]
    row = {"viewclass": "AttachmentsRow", "message_id": "pending-user", "chips": chips}
    return [{**row, "height": line_height * len(chips)}]
