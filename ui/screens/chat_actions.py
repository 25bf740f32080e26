"""The chat screen's per-message actions: copy, regenerate, edit, switch branch, show thinking.

A mixin of `ChatScreen`, which owns the state these read (`messages`, `siblings`,
`live`, `session_id`, `model_id`, `model_state`) and the streaming they start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from llamadesk.core.commands import CommandError
from llamadesk.core.models.base import CommandParams
from llamadesk.core.models.chat_history import ChatMessage, ChatTranscript
from llamadesk.core.models.chat_params import EditParams, RegenerateParams, SwitchBranchParams
from llamadesk.core.models.llama import SamplingParams

from ..catalogs import tr
from ..viewmodels.chat_rows import RowMetrics, body_row, conversation_rows, meta_row, sibling_at
from ..widgets.dialogs import TextDialog
from ..widgets.message_views import copy_text
from .chat_stream import LIVE, LiveAnswer

if TYPE_CHECKING:
    from .base import AppScreen as _Screen
else:
    _Screen = object


class ChatMessageActions(_Screen):
    """What the buttons on a message do; answers stream through ChatScreen._stream."""

    messages: list[ChatMessage]
    siblings: dict[str, list[str]]
    live: LiveAnswer | None
    session_id: str
    model_id: str
    model_state: str
    sampling: SamplingParams | None
    # ChatScreen's methods these call.
    metrics: Callable[[], RowMetrics]
    _stamp: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
    _stream: Callable[[str, CommandParams], None]
    _show_transcript: Callable[[ChatTranscript], None]
    pending_message: Callable[[str, str], ChatMessage]
    error: Callable[[CommandError], None]

    def _message(self, message_id: str) -> ChatMessage | None:
        return next((m for m in self.messages if m.id == message_id), None)

    def copy_message(self, message_id: str) -> None:
        message = self._message(message_id)
        if message is not None:
            copy_text(message.content)
        elif message_id == LIVE and self.live is not None:
            copy_text(self.live.text.text)

    def _show_until(self, message_id: str | None) -> None:
        """Show the branch up to `message_id`: the new answer grows from there."""
        cut = next((i for i, m in enumerate(self.messages) if m.id == message_id), -1)
        rows = conversation_rows(self.messages[: cut + 1], self.siblings, self.metrics())
        self.ids.messages.data = self._stamp(rows)

    def regenerate(self, message_id: str) -> None:
        message = self._message(message_id)
        if message is None or self.live is not None or self.model_state not in ("ready", "generating"):
            return
        self._show_until(message.parent_id)
        params = RegenerateParams(
            session_id=self.session_id, message_id=message_id, model=self.model_id, sampling=self.sampling
        )
        self._stream("chat.regenerate", params)

    def edit_message(self, message_id: str) -> None:
        message = self._message(message_id)
        if message is None or self.live is not None:
            return
        TextDialog(
            title=tr("Edit message"),
            text=message.content,
            multiline=True,
            on_submit=lambda text: self.submit_edit(message_id, text),
        ).open()

    def submit_edit(self, message_id: str, text: str) -> None:
        message = self._message(message_id)
        if message is None or not text.strip() or self.live is not None:
            return
        self._show_until(message.parent_id)
        m = self.metrics()
        edited = self.pending_message("edit", text)
        self.ids.messages.data.extend(
            self._stamp([meta_row(edited, {}, m), body_row("edit", "user", text, m, key="edit")])
        )
        params = EditParams(
            session_id=self.session_id,
            message_id=message_id,
            content=text,
            model=self.model_id,
            sampling=self.sampling,
        )
        self._stream("chat.edit", params)

    def switch_branch(self, message_id: str, delta: int) -> None:
        target = sibling_at(message_id, self.siblings, delta)
        if target is None or self.live is not None:
            return
        params = SwitchBranchParams(session_id=self.session_id, message_id=target)
        self.app.bridge.call("chat.switch_branch", params, ChatTranscript, self._show_transcript, self.error)

    def toggle_thinking(self, index: int) -> None:
        rv = self.ids.messages
        row = rv.data[index]
        rv.data[index] = {**row, "expanded": not row.get("expanded")}
