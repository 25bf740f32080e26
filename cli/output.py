"""How the CLI prints: results as JSON or text, errors as one line on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import BaseModel

from llamadesk.core.commands import CommandError
from llamadesk.core.models.units import size_label

__all__ = ["exit_code", "print_error", "print_event_line", "print_json", "size_label"]


def print_json(value: BaseModel | Any) -> None:
    if isinstance(value, BaseModel):
        print(value.model_dump_json(indent=2))
    else:
        print(json.dumps(value, indent=2, default=str))


def print_event_line(event: BaseModel) -> None:
    """One JSON object per line, flushed, so pipes see events as they happen."""
    sys.stdout.write(event.model_dump_json() + "\n")
    sys.stdout.flush()


def print_error(error: CommandError) -> None:
    print(f"error: {error.message}", file=sys.stderr)


def exit_code(error: CommandError) -> int:
    """Distinct codes so scripts can tell a cancel (130) from a failure (1)."""
    return 130 if error.code == "cancelled" else 1
