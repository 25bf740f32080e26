"""Named server-sent events, `event: <type>\\ndata: {json}\\n\\n`, as Anthropic's Messages and
OpenAI's Responses streams send them (the type is also in the JSON)."""

from __future__ import annotations

import json
from typing import Any


def event(kind: str, payload: dict[str, Any]) -> bytes:
    data = json.dumps({"type": kind, **payload}, separators=(",", ":"), ensure_ascii=False)
    return f"event: {kind}\ndata: {data}\n\n".encode()
