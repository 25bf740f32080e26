"""Runs commands off the Kivy thread and brings their events back once per frame.

Every worker thread only appends to a queue and pulls one `Clock` trigger; the
trigger runs on the Kivy thread before the next frame and hands each stream all
events that arrived since the last frame in one list, at most once a frame. A streaming answer at any
speed therefore costs at most one UI update per frame.

Params are the command's params model (`HubFilesParams(repo=...)`), and every call names
the result model it expects: `on_result` gets that type, so a screen reads attributes,
never keys. A result of another type (a plugin serving the id with another model) reaches
`on_error` as a CommandError instead of breaking the screen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from kivy.clock import Clock
from pydantic import BaseModel

from llamadesk.core.commands import CommandError, CommandTable, RunningCommand
from llamadesk.core.models.base import CommandParams
from llamadesk.core.models.commands import CommandErrorInfo

R = TypeVar("R", bound=BaseModel)
ErrorCallback = Callable[[CommandError], None]
EventsCallback = Callable[[list[BaseModel]], None]


def unexpected_result(command_id: str, result: BaseModel, expected: type[BaseModel]) -> CommandError:
    return CommandError(
        CommandErrorInfo(
            code="internal_error",
            message=f"{command_id} answered with {type(result).__name__}, not {expected.__name__}",
        )
    )


class StreamHandle:
    """A started command as the UI holds it: cancel it, ask whether it still runs."""

    def __init__(self, command_id: str) -> None:
        self.command_id = command_id
        self.running: RunningCommand | None = None
        self.finished = False
        self._events: list[BaseModel] = []

    def cancel(self) -> None:
        if self.running is not None:
            self.running.cancel()


class CommandBridge:
    def __init__(self, commands: CommandTable) -> None:
        self.commands = commands
        self._lock = threading.Lock()
        self._pending: list[Callable[[], None]] = []
        self._streams: dict[StreamHandle, EventsCallback] = {}
        # -1: results are delivered before the next frame is drawn. Kivy repeats -1 callbacks
        # while they keep being triggered, so stream events are handed out at most once per
        # frame (`_events_frame`); tokens arriving meanwhile wait for the next frame. Before,
        # a fast stream was flushed again and again inside one frame (up to
        # Clock.max_iteration times: one frame ran 20 relayouts and took 1.7 s).
        self._trigger = Clock.create_trigger(self._flush, -1)
        self._next_frame = Clock.create_trigger(self._flush, 0)
        self._events_frame = -1

    def has(self, command_id: str) -> bool:
        return command_id in self.commands

    def invoke(self, command_id: str, params: CommandParams | None, result: type[R]) -> R:
        """Run a quick command in this thread (reading settings, not I/O-bound work)."""
        answer = self.commands.invoke(command_id, params)
        if not isinstance(answer, result):
            raise unexpected_result(command_id, answer, result)
        return answer

    def call(
        self,
        command_id: str,
        params: CommandParams | None,
        result: type[R],
        on_result: Callable[[R], None] | None = None,
        on_error: ErrorCallback | None = None,
    ) -> StreamHandle:
        """Run a command on the worker pool; callbacks run on the Kivy thread."""
        return self.stream(command_id, params, result, None, on_result, on_error)

    def stream(
        self,
        command_id: str,
        params: CommandParams | None,
        result: type[R],
        on_events: EventsCallback | None,
        on_result: Callable[[R], None] | None = None,
        on_error: ErrorCallback | None = None,
    ) -> StreamHandle:
        handle = StreamHandle(command_id)
        if on_events is not None:
            with self._lock:
                self._streams[handle] = on_events

        def sink(event: BaseModel) -> None:
            with self._lock:
                handle._events.append(event)
            self._trigger()

        def done(running: RunningCommand) -> None:
            def deliver() -> None:
                handle.finished = True
                with self._lock:
                    self._streams.pop(handle, None)
                try:
                    answer = running.result()
                    if not isinstance(answer, result):
                        raise unexpected_result(command_id, answer, result)
                except CommandError as error:
                    if on_error is not None:
                        on_error(error)
                    return
                if on_result is not None:
                    on_result(answer)

            with self._lock:
                self._pending.append(deliver)
            self._trigger()

        try:
            handle.running = self.commands.start(command_id, params, on_event=sink)
        except CommandError as error:
            handle.finished = True
            callback, failure = on_error, error  # bound now: `error` is unset after the except block
            with self._lock:
                self._streams.pop(handle, None)
                if callback is not None:
                    self._pending.append(lambda: callback(failure))
            self._trigger()
            return handle
        handle.running.add_done_callback(done)
        return handle

    def _flush(self, _dt: float = 0) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            # A stream's events were all queued before its done callback, so they go out first:
            # with a result to deliver, events are flushed even twice in a frame.
            events_due = bool(pending) or Clock.frames != self._events_frame
            batches = (
                [(h, cb, h._events) for h, cb in self._streams.items() if h._events] if events_due else []
            )
            for handle, _cb, _events in batches:
                handle._events = []
            waiting = not events_due and any(h._events for h in self._streams)
        if batches:
            self._events_frame = Clock.frames
        for _handle, callback, events in batches:
            callback(events)
        for deliver in pending:
            deliver()
        if waiting:
            self._next_frame()
