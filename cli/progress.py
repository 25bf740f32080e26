"""Showing transfer progress: a rich bar (bytes, speed, ETA) on a terminal, JSON lines with --json."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from .output import print_event_line


@contextmanager
def progress_printer(as_json: bool, label: str) -> Iterator[Callable[[BaseModel], None]]:
    """Yields the `on_event` callback to pass to invoke_streaming."""
    if as_json:
        yield print_event_line
        return
    if not sys.stderr.isatty():
        yield _phase_lines()
        return
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=None)
        yield lambda event: _update(bar, task, label, event)


def _update(bar: Progress, task: TaskID, label: str, event: BaseModel) -> None:
    data: dict[str, Any] = event.model_dump()
    phase = data.get("phase", "")
    description = f"{label} [dim]{phase}[/dim]" if phase and phase != "done" else label
    total = data.get("total") or None
    bar.update(task, completed=data.get("done", 0), total=total, description=description)


def _phase_lines() -> Callable[[BaseModel], None]:
    """Without a terminal: one line per phase change on stderr, no bar."""
    last = {"phase": ""}

    def on_event(event: BaseModel) -> None:
        phase = str(getattr(event, "phase", ""))
        if phase and phase != last["phase"]:
            last["phase"] = phase
            message = str(getattr(event, "message", "")) or phase
            print(message, file=sys.stderr, flush=True)

    return on_event
