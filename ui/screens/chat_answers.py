# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""The chat screen's streaming: an answer (chat.send, chat.regenerate, chat.edit) arrives as
batches of events once per frame; tokens feed a `LiveAnswer`, tool calls their rows, and a
new step (after tool results) starts the next answer below them.

A mixin of `ChatScreen`, which owns the state these write (`live`, `streaming`, `session_id`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.metrics import dp
from pydantic import BaseModel

from llamadesk.core.commands import CommandError
from llamadesk.core.models.base import CommandParams
from llamadesk.core.models.chat_history import (
    ChatAnsweredEvent,
    ChatEditResult,
    ChatReply,
    ChatSession,
    ChatStartedEvent,
    ChatTitleEvent,
)
from llamadesk.core.models.chat_params import UpdateChatParams

from ..catalogs import error_text
from ..viewmodels.chat_rows import RowMetrics
from ..widgets.message_views import BLOCK_GAP, MIN_BODY_WIDTH, body_padding, draw_body
from .chat_stream import TOOL_EVENTS, LiveAnswer, LiveTools, StampedRows

if TYPE_CHECKING:
    from .base import AppScreen as _Screen
    from .chat_sessions import ChatSessions
else:
    _Screen = object


class ChatStreaming(_Screen):
    """Starts a stream and follows it to its end; ChatScreen shows the stored transcript then."""

    live: LiveAnswer | None
    live_tools: LiveTools | None
    streaming: bool
    session_id: str
    session_title: str
    session_tools: list[str]
    chat_collections: list[str]
    preset_name: str
    model_id: str
    sessions: ChatSessions
    # ChatScreen's (and its other mixins') methods these call.
    metrics: Callable[[], RowMetrics]
    scroll_to_end: Callable[[], None]
    reload_session: Callable[[], None]
    live_tool_event: Callable[[Any], None]
    error: Callable[[CommandError], None]
    _stamp: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]

    def _stream(self, command_id: str, params: CommandParams) -> None:
        """Stream an answer (chat.send, chat.regenerate: a ChatReply; chat.edit: a ChatEditResult)."""
        rv = self.ids.messages
        live = self.live = LiveAnswer(StampedRows(rv.data, self), self.metrics(), self.model_id)
        self.live_tools = LiveTools(StampedRows(rv.data, self), self.metrics())
        self.streaming = True
        # Each callback knows its stream: once the answer is stored the chat is the user's
        # again (ChatAnsweredEvent) while its title is still being written, and the end of
        # that stream must not touch an answer the user has started since.
        stream = [live]  # the stream's first answer; later steps replace it (_next_step)
        live.handle = self.app.bridge.stream(
            command_id,
            params,
            BaseModel,
            lambda events: self._on_events(events, stream),
            lambda result: self._stream_done(result, stream),
            lambda error: self._stream_failed(error, stream),
        )
        self.scroll_to_end()

    def _owns_screen(self, stream: list[LiveAnswer]) -> bool:
        """The stream's answer is the one the screen shows streaming."""
        return self.live is not None and self.live is stream[0]

    def _on_events(self, events: list[BaseModel], stream: list[LiveAnswer]) -> None:
        """One frame's events, in order: tokens feed the answer streaming now; a tool call's
        events show in its row; a new step (after tool results) starts the next answer."""
        titles = [e for e in events if isinstance(e, ChatTitleEvent)]
        for titled in titles:  # the title comes after the answer, when the screen may be elsewhere
            if titled.session_id == self.session_id:
                self.show_title(titled.title)
            self.sessions.refresh()
        if not self._owns_screen(stream):
            return
        at_bottom = self.ids.messages.scroll_y <= 0.01
        tokens: list[BaseModel] = []
        for event in events:
            if isinstance(event, ChatStartedEvent):
                if not self.session_id:
                    self._chat_started(event.session_id)
                if event.step > 0:
                    self._feed(tokens)
                    tokens = []
                    stream[0] = self._next_step()
            elif isinstance(event, ChatTitleEvent):
                pass  # shown above
            elif isinstance(event, ChatAnsweredEvent):
                self._feed(tokens)
                tokens = []
                self._answer_stored(event.session_id)
                return
            elif isinstance(event, TOOL_EVENTS):
                self._feed(tokens)
                tokens = []
                self.live_tool_event(event)
            else:
                tokens.append(event)
        self._feed(tokens)
        if at_bottom:
            self.scroll_to_end()

    def _feed(self, events: list[BaseModel]) -> None:
        if self.live is None or not events:
            return
        speed = self.live.tokens_per_second() if self.live.feed(events) else None
        self._draw_live_rows(self.live.changed_from)
        if speed and self.app.shell is not None:
            self.app.shell.ids.status.speed_text = f"{speed:.1f} tok/s"

    def _chat_started(self, session_id: str) -> None:
        """A new chat exists now: it keeps the tools picked before its first message."""
        self.session_id = session_id
        self.sessions.refresh()
        if self.session_tools or self.preset_name or self.chat_collections:
            params = UpdateChatParams(
                session_id=session_id,
                tools=list(self.session_tools) or None,
                preset=self.preset_name or None,
                collections=list(self.chat_collections) or None,
            )
            self.app.bridge.call("chat.update", params, ChatSession, None, self.error)

    def _next_step(self) -> LiveAnswer:
        """The model answers again after its tools' results: a new answer below their rows."""
        assert self.live is not None
        handle = self.live.handle
        self.live.finish()
        live = self.live = LiveAnswer(
            StampedRows(self.ids.messages.data, self), self.metrics(), self.model_id
        )
        live.handle = handle
        return live

    def _draw_live_rows(self, first: int) -> None:
        """Draw the body rows a stream just changed, before the list lays them out: the layout
        then has their real heights. Drawn by their views instead, each row whose height
        differed from its estimate made the list lay everything out again in the same frame
        (~1 ms a pass with a screen of rows)."""
        rv = self.ids.messages
        width = rv.layout_manager.width
        if width < dp(MIN_BODY_WIDTH):  # not laid out yet
            return
        for row in rv.data[first:]:
            if row.get("viewclass") == "MessageBody":
                padding = body_padding(row["joins_above"], row["joins_below"])
                args = (width, padding, dp(BLOCK_GAP), row["streaming"], row["tail"])
                row["height"] = draw_body(self, row["cache_key"], row["source"], *args).height

    def _answer_stored(self, session_id: str) -> None:
        """The answer is stored: the chat is the user's again (Send, Regenerate) while the
        stream goes on writing the chat's title."""
        self._end_live()
        self.session_id = session_id
        self.reload_session()

    def _end_live(self) -> None:
        live, self.live = self.live, None
        self.live_tools = None
        self.streaming = False
        if live is not None:
            live.finish()

    def _stream_done(self, result: BaseModel, stream: list[LiveAnswer]) -> None:
        if not self._owns_screen(stream):  # answered already (or another answer streams now)
            self.sessions.refresh()
            return
        self._end_live()
        reply = result.reply if isinstance(result, ChatEditResult) else result
        if isinstance(reply, ChatReply):
            self.session_id = reply.session_id
        self.reload_session()
        self.sessions.refresh()

    def _stream_failed(self, error: CommandError, stream: list[LiveAnswer]) -> None:
        if not self._owns_screen(stream):  # e.g. the title failed after the answer was stored
            return
        self._end_live()
        if error.code != "cancelled":
            row = {"viewclass": "ErrorRow", "message_id": "", "text": error_text(error)}
            self.ids.messages.data.append(self._stamp([{**row, "height": self.metrics().meta_height}])[0])
        self.reload_session()

    def stop(self) -> bool:
        """Stop the streaming answer (Esc); True if there was one. The text so far is kept."""
        if self.live is None or self.live.handle is None:
            return False
        self.live.handle.cancel()
        return True
