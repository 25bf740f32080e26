"""Documents: the built-in readers (plain text, Markdown, source code, HTML, PDF, DOCX).

The readers answer the `read_document` hook `trylast`, so a plugin that reads the same
format answers first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.models.documents import DocumentText

from .readers import read_builtin

if TYPE_CHECKING:
    from llamadesk.core.interfaces.plugin_context import PluginContext


@hookimpl(trylast=True)
def read_document(context: PluginContext, path: Path, max_bytes: int) -> DocumentText:
    return read_builtin(path, max_bytes)
