"""One answer being streamed into the message list: rows for frozen chunks plus a live tail."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.tools import ToolApprovalEvent, ToolRunEvent

from ..bridge import StreamHandle
from ..viewmodels.chat_rows import ACTION_BAR, RowMetrics, body_row
from ..viewmodels.status import short_model_name
from ..viewmodels.streaming import StreamingText
from ..viewmodels.tool_calls import APPROVAL, ToolCallView, of_event, tool_row

TOOL_EVENTS = (ToolCallEvent, ToolApprovalEvent, ToolRunEvent)

LIVE = "live"
# The token count and speed are redrawn at most this often: each redraw re-renders the action
# bar's label, and a figure changing 60 times a second cannot be read anyway.
COUNTERS_EVERY_S = 0.25


class LiveAnswer:
    """Keeps the message list's last rows in step with a StreamingText."""

    def __init__(self, data: Any, metrics: RowMetrics, model: str = "") -> None:
        self.data = data  # the RecycleView's data list (observable)
        self.metrics = metrics
        self.text = StreamingText()
        # Frozen chunks not yet given their own row: one gets its row a frame, so a frame
        # never builds a table, a formula and a code block at once (those frames were the
        # slowest); until then they lead the tail row, so the text stays in order.
        self.waiting: deque[str] = deque()
        self.reasoning = ""
        self.handle: StreamHandle | None = None
        self.tokens = 0
        self.started = time.perf_counter()
        self.first_token_at: float | None = None
        self.chunks = 0
        self.counters_at = 0.0  # when the footer was last redrawn
        self.model = model
        self.finished = False  # its rows are final: the stream ended, or it called tools
        # The answer's rows: its header, (its thinking,) its body rows, and last its action bar,
        # kept last while chunk rows are added above it (`_actions`).
        self.header_index = len(data)
        data.append(
            {
                "viewclass": "MessageHeader",
                "message_id": LIVE,
                "role": "assistant",
                "model_name": short_model_name(model),
                "streaming": True,
                "height": metrics.name_height,
            }
        )
        self.thinking_index: int | None = None
        data.append(self._tail_row())
        data.append(
            {
                "viewclass": ACTION_BAR,
                "message_id": LIVE,
                "role": "assistant",
                "branch_text": "",
                "can_prev": False,
                "can_next": False,
                "footer": "",  # the live counters
                "details": "",
                "show_details": False,
                "rating": "",
                "streaming": True,  # its buttons are disabled until the answer is stored
                "height": metrics.meta_height,
            }
        )
        self.changed_from = len(data) - 2  # the first body row the last feed changed

    def _actions(self) -> int:
        """The action bar's index: the answer's last row until it is finished (tool call
        rows and an error row come after it only then)."""
        return len(self.data) - 1

    def _tail_row(self) -> dict[str, Any]:
        # The tail has the key of the chunk it will become: when it freezes, that row keeps
        # the tail's drawn widgets and renders only what the last tokens changed.
        return self._row("".join(self.waiting) + self.text.tail, self.chunks + 1, last=True)

    def _row(self, source: str, number: int, last: bool) -> dict[str, Any]:
        key = f"{LIVE}-{id(self)}-{number}"
        return body_row(
            LIVE,
            "assistant",
            source,
            self.metrics,
            key=key,
            streaming=True,
            tail=last and not self.finished,
            joins_above=number > 1,
            joins_below=not last,
        )

    def feed(self, events: list[Any]) -> bool:
        """Apply one frame's events: append frozen chunk rows, redraw only the tail.

        True when the counters (footer) were redrawn too, at most every COUNTERS_EVERY_S."""
        if self.finished:  # its rows are final (text after its tool calls shows once stored)
            return False
        content: list[str] = []
        reasoning: list[str] = []
        for event in events:
            if isinstance(event, TokenEvent):
                self.tokens += 1
                (reasoning if event.channel == "reasoning" else content).append(event.text)
        if not content and not reasoning and not self.waiting:
            return False
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        if reasoning:
            self.reasoning += "".join(reasoning)
            self._show_reasoning()
        if content:
            self.waiting.extend(self.text.append("".join(content)))
        rows = [self._chunk_row(self.waiting.popleft())] if self.waiting else []
        tail = self._actions() - 1
        self.changed_from = tail if content or rows else len(self.data)
        if rows:
            # Removed from the end and added back (flags the list keeps views through, unlike
            # an insert's): the chunk takes the tail's place, the action bar stays last.
            actions = self.data.pop()
            self.data.pop()
            self.data.extend([*rows, self._tail_row(), actions])
        elif content:
            # A positive index: Kivy's RecycleView takes `data[-1] = row` for a change to row
            # -1, which no view shows, and the tail on screen would not change.
            self.data[tail] = self._tail_row()
        now = time.perf_counter()
        if now - self.counters_at < COUNTERS_EVERY_S:
            return False
        self.counters_at = now
        actions = self._actions()
        self.data[actions] = {**self.data[actions], "footer": self.footer()}
        return True

    def _chunk_row(self, source: str, last: bool = False) -> dict[str, Any]:
        """A frozen chunk; one is followed by the tail, or by the next chunk, unless `last`."""
        self.chunks += 1
        return self._row(source, self.chunks, last)

    def _show_reasoning(self) -> None:
        row = {
            "viewclass": "ThinkingRow",
            "message_id": LIVE,
            "source": self.reasoning,
            "expanded": False,
            "height": self.metrics.meta_height,
        }
        if self.thinking_index is None:
            self.thinking_index = self.header_index + 1
            self.data.insert(self.thinking_index, row)
        else:
            self.data[self.thinking_index] = {**self.data[self.thinking_index], "source": self.reasoning}

    def tokens_per_second(self) -> float | None:
        if self.first_token_at is None or self.tokens < 2:
            return None
        elapsed = time.perf_counter() - self.first_token_at
        return (self.tokens - 1) / elapsed if elapsed > 0 else None

    def footer(self) -> str:
        if not self.tokens:  # an answer that only calls tools streams no text
            return ""
        speed = self.tokens_per_second()
        return f"{self.tokens} tokens" + (f" · {speed:.1f} tok/s" if speed else "")

    def finish(self) -> None:
        """The stream ended, or the answer called tools: freeze the tail so nothing is lost if
        the reload fails. Only the first call does anything."""
        if self.finished:
            return
        self.finished = True
        rest = [*self.waiting, *self.text.finish()]
        self.waiting.clear()
        actions = self.data.pop()
        self.data.pop()  # the tail
        self.data.extend(self._chunk_row(source, last=n == len(rest) - 1) for n, source in enumerate(rest))
        if not rest and self.chunks:  # the tail was empty: the last frozen chunk ends the body
            self.data[len(self.data) - 1] = {**self.data[-1], "joins_below": False}
        self.data.append({**actions, "streaming": False, "footer": self.footer()})
        self.data[self.header_index] = {**self.data[self.header_index], "streaming": False}


class LiveTools:
    """The tool calls of a streaming answer, a row each (after the answer that made them),
    updated as their events come: called, waiting for approval, running, done."""

    def __init__(self, data: Any, metrics: RowMetrics) -> None:
        self.data = data
        self.metrics = metrics
        self.views: dict[str, ToolCallView] = {}
        self._rows: dict[str, int] = {}  # call id -> its row's index

    def apply(self, event: ToolCallEvent | ToolApprovalEvent | ToolRunEvent) -> int:
        """Show the event; the index of the row it changed."""
        call_id = event.call.id
        view = self.views.get(call_id)
        if view is None:
            view = self.views[call_id] = of_event(event)
            self._rows[call_id] = len(self.data)
            self.data.append(tool_row(view, LIVE, self.metrics.meta_height))
            return len(self.data) - 1
        view = self.views[call_id] = view.apply(event)
        index = self._rows[call_id]
        shown = self.data[index]
        # Open while it asks; otherwise as the user left it (folded, or open to read).
        row = tool_row(view, LIVE, shown["height"], expanded=view.state == APPROVAL or shown["expanded"])
        self.data[index] = {**row, "show_all": shown["show_all"]}
        return index

    def waiting(self) -> list[ToolCallView]:
        return [v for v in self.views.values() if v.state == APPROVAL]


class StampedRows:
    """The RecycleView's data list, stamping the controller on every row a LiveAnswer adds."""

    def __init__(self, data: Any, controller: object) -> None:
        self._data = data
        self._controller = controller

    def _stamp(self, row: dict[str, Any]) -> dict[str, Any]:
        row["controller"] = self._controller
        return row

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, index: int) -> Any:
        return self._data[index]

    def __setitem__(self, index: int, row: dict[str, Any]) -> None:
        self._data[index] = self._stamp(row)

    def append(self, row: dict[str, Any]) -> None:
        self._data.append(self._stamp(row))

    def extend(self, rows: Any) -> None:
        self._data.extend([self._stamp(r) for r in rows])

    def insert(self, index: int, row: dict[str, Any]) -> None:
        self._data.insert(index, self._stamp(row))

    def pop(self) -> Any:
        return self._data.pop()
