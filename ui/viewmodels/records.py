"""Reading command results that arrive as JSON dicts, tolerant of wrapping ({"session": {...}})."""

from __future__ import annotations

from typing import Any


def pick(data: Any, *keys: str, default: Any = None) -> Any:
    """The first of `keys` present (and not None) in `data`."""
    if isinstance(data, dict):
        for key in keys:
            if data.get(key) is not None:
                return data[key]
    return default


def unwrap(data: Any, key: str) -> Any:
    """`data[key]` when the result wraps the record, else `data` itself."""
    if isinstance(data, dict) and isinstance(data.get(key), dict):
        return data[key]
    return data


def items(data: Any, *keys: str) -> list[Any]:
    """The list in a result: under one of `keys`, or the result itself if it is a list."""
    if isinstance(data, list):
        return data
    value = pick(data, *keys, default=[])
    return value if isinstance(value, list) else []
