"""Plain text, Markdown and source code: the bytes decoded, binary files told apart.

A file is binary when its first 8 KB hold a NUL byte (and no UTF-16 byte order mark), or
when it has an extension that only binary files have: such a file gets a `problem`, it is
never decoded into noise.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

from llamadesk.core.errors import N_
from llamadesk.core.models.documents import DocumentText, TextSection, unreadable
from llamadesk.core.models.phrase import phrase

SNIFF_BYTES = 8192

MARKDOWN = frozenset({".md", ".markdown", ".mdx", ".mkd"})
PLAIN = frozenset({".txt", ".text", ".log", ".csv", ".tsv", ".rst", ".org", ".tex", ".adoc", ".srt", ".vtt"})
CODE = frozenset(
    {
        ".py", ".pyi", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".java", ".c", ".h", ".cc", ".cpp",
        ".cxx", ".hpp", ".hh", ".go", ".rs", ".rb", ".php", ".cs", ".swift", ".kt", ".kts", ".scala",
        ".sh", ".bash", ".zsh", ".fish", ".ps1", ".bat", ".sql", ".r", ".m", ".mm", ".lua", ".pl", ".pm",
        ".hs", ".ml", ".mli", ".ex", ".exs", ".erl", ".clj", ".dart", ".jl", ".nim", ".zig", ".v", ".vue",
        ".svelte", ".css", ".scss", ".sass", ".less", ".json", ".jsonl", ".yaml", ".yml", ".toml", ".ini",
        ".cfg", ".conf", ".xml", ".proto", ".graphql", ".gradle", ".cmake", ".mk", ".tf", ".nix",
    }
)  # fmt: skip
CODE_NAMES = frozenset({"makefile", "dockerfile", "cmakelists.txt", "gemfile", "rakefile", "justfile"})
# Formats no reader here takes: answered without opening the file.
BINARY = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ico", ".heic", ".psd",
        ".mp3", ".wav", ".flac", ".ogg", ".m4a", ".aac", ".mp4", ".mkv", ".mov", ".avi", ".webm",
        ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar", ".iso", ".dmg",
        ".exe", ".dll", ".so", ".dylib", ".o", ".a", ".class", ".jar", ".pyc", ".whl", ".wasm",
        ".gguf", ".safetensors", ".bin", ".pt", ".onnx", ".npy", ".npz", ".parquet", ".sqlite", ".db",
        ".ttf", ".otf", ".woff", ".woff2", ".doc", ".xls", ".ppt", ".xlsx", ".pptx", ".odt", ".epub",
    }
)  # fmt: skip


def text_format(path: Path) -> str | None:
    """`markdown`, `code` or `text` by the file's name; None when the name does not tell."""
    suffix = path.suffix.lower()
    if suffix in MARKDOWN:
        return "markdown"
    if suffix in CODE or path.name.lower() in CODE_NAMES:
        return "code"
    if suffix in PLAIN:
        return "text"
    return None


def looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\0" in head


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 by its BOM, Windows-1252, else UTF-8 with the
    undecodable bytes replaced."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def binary_problem(path: Path) -> dict[str, Any]:
    """DocumentText's fields for a binary file."""
    return unreadable(phrase(N_("{name} is a binary file, not text"), name=path.name))


def read_text(path: Path, fmt: str | None, size: int) -> DocumentText:
    """The file as one section starting at line 1 (the chunker counts lines from there)."""
    data = path.read_bytes()
    if looks_binary(data[:SNIFF_BYTES]):
        return DocumentText(path=str(path), format="binary", size_bytes=size, **binary_problem(path))
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    sections = [TextSection(text=text, line=1)] if text.strip() else []
    problem = {} if sections else unreadable(phrase(N_("{name} is empty"), name=path.name))
    return DocumentText(path=str(path), format=fmt or "text", sections=sections, size_bytes=size, **problem)
