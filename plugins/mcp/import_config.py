"""Servers from the `mcpServers` JSON that Claude Desktop, Cursor, LM Studio and others write:

    {"mcpServers": {"name": {"command": "...", "args": [...], "env": {...}},
                    "other": {"url": "https://...", "headers": {...}}}}

VS Code's `{"servers": {...}}` is read too. Each entry becomes a server or is skipped with
its reason and the line its entry starts on; a file that is not JSON is refused with the
line and column of the mistake.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from llamadesk.core.errors import N_, InvalidParams
from llamadesk.core.models.mcp import NAME_PATTERN

from .settings import McpServer

TOP_KEYS = ("mcpServers", "servers")  # Claude Desktop, Cursor, LM Studio; VS Code
HTTP_TYPES = {"http", "streamable-http", "streamable_http", "streamableHttp"}


@dataclass(frozen=True)
class Entry:
    name: str
    line: int
    server: McpServer | None = None
    reason: str = ""
    renamed_from: str | None = None


def parse_servers(text: str, source: str) -> list[Entry]:
    """Every entry of the file, in order, each a server or a reason. Raises InvalidParams
    when the text is not JSON or holds no servers object."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidParams(
            N_("{source} is not valid JSON: line {lineno}, column {colno}: {msg}"),
            source=source,
            lineno=exc.lineno,
            colno=exc.colno,
            msg=exc.msg,
        ) from None
    if not isinstance(data, dict):
        raise InvalidParams(N_('{source} must hold a JSON object with "mcpServers" (line 1)'), source=source)
    top = next((key for key in TOP_KEYS if key in data), None)
    if top is None:
        raise InvalidParams(N_('{source} has no "mcpServers" object (line 1)'), source=source)
    entries = data[top]
    position = _key_position(text, top, 0)
    if not isinstance(entries, dict):
        line = _line(text, position)
        raise InvalidParams(
            N_('{source}: "{top}" must be an object of servers by name (line {line})'),
            source=source,
            top=top,
            line=line,
        )
    found: list[Entry] = []
    for name, entry in entries.items():
        # Entries come in file order: each is looked for after the one before.
        position = _key_position(text, name, position)
        found.append(_entry(str(name), entry, _line(text, position)))
    return found


def _entry(name: str, entry: Any, line: int) -> Entry:
    if not isinstance(entry, dict):
        return Entry(name, line, reason="its entry is not an object")
    fixed = _valid_name(name)
    if fixed is None:
        return Entry(name, line, reason="its name has no letters or digits")
    kind = str(entry.get("type") or entry.get("transport") or "")
    url = entry.get("url") or entry.get("serverUrl")
    if kind == "sse":
        return Entry(name, line, reason="SSE servers are not supported; only stdio and streamable HTTP")
    if kind and kind != "stdio" and kind not in HTTP_TYPES:
        return Entry(name, line, reason=f"its type {kind!r} is not stdio or http")
    fields: dict[str, Any] = {
        "name": fixed,
        "enabled": not entry.get("disabled", False) and entry.get("enabled", True) is not False,
    }
    if url is not None or kind in HTTP_TYPES:
        fields |= {"transport": "http", "url": url, "headers": _strings(entry.get("headers"))}
    else:
        fields |= {
            "transport": "stdio",
            "command": entry.get("command"),
            "args": entry.get("args", []),
            "env": _strings(entry.get("env")),
            "cwd": entry.get("cwd"),
        }
    try:
        server = McpServer.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        return Entry(name, line, reason=f"{where}: {message}" if where else message)
    return Entry(fixed, line, server=server, renamed_from=name if fixed != name else None)


def _valid_name(name: str) -> str | None:
    """The name as this app allows it: other characters become -, length is capped."""
    fixed = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_")[:32]
    return fixed if re.match(NAME_PATTERN, fixed) else None


def _strings(value: Any) -> Any:
    """Environment and header values as text (a file may hold numbers or booleans)."""
    if not isinstance(value, dict):
        return value if value is not None else {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _key_position(text: str, key: str, start: int) -> int:
    """Where `"key":` first appears after `start` (`start` itself if it cannot be found)."""
    match = re.compile(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:").search(text, start)
    return match.start() if match else start


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1
