"""The chat screen's per-message actions: copy, regenerate, edit, switch branch, show thinking.

A mixin of `ChatScreen`, which owns the state these read (`messages`, `siblings`,
`live`, `session_id`, `model_id`, `model_state`) and the streaming they start.
"""

from __future__ import annotations

from typing import Any

from ..viewmodels.chat_rows import body_row, conversation_rows, meta_row, sibling_at
from ..widgets.dialogs import TextDialog
from ..widgets.message_views import copy_text
from .chat_stream import LIVE


class ChatMessageActions:
    """What the buttons on a message do; answers stream through ChatScreen._stream."""

    app: Any
    ids: Any
    messages: list[dict[str, Any]]
    siblings: dict[str, list[str]]
    live: Any
    session_id: str
    model_id: str
    model_state: str
    metrics: Any  # ChatScreen.metrics
    _stamp: Any  # ChatScreen._stamp
    _stream: Any  # ChatScreen._stream
    _show_transcript: Any  # ChatScreen._show_transcript
    error: Any  # ChatScreen.error

    def _message(self, message_id: str) -> dict[str, Any] | None:
        return next((m for m in self.messages if m["id"] == message_id), None)

    def copy_message(self, message_id: str) -> None:
        message = self._message(message_id)
        if message is not None:
            copy_text(message.get("content", ""))
        elif message_id == LIVE and self.live is not None:
            copy_text(self.live.text.text)

    def _show_until(self, message_id: str | None) -> None:
        """Show the branch up to `message_id`: the new answer grows from there."""
        cut = next((i for i, m in enumerate(self.messages) if m["id"] == message_id), -1)
        rows = conversation_rows(self.messages[: cut + 1], self.siblings, self.metrics())
        self.ids.messages.data = self._stamp(rows)

    def regenerate(self, message_id: str) -> None:
        message = self._message(message_id)
        if message is None or self.live is not None or self.model_state not in ("ready", "generating"):
            return
        self._show_until(message.get("parent_id"))
        params = {"session_id": self.session_id, "message_id": message_id, "model": self.model_id}
        self._stream("chat.regenerate", params)

    def edit_message(self, message_id: str) -> None:
        message = self._message(message_id)
        if message is None or self.live is not None:
            return
        TextDialog(
            title="Edit message",
            text=message.get("content", ""),
            multiline=True,
            on_submit=lambda text: self.submit_edit(message_id, text),
        ).open()

    def submit_edit(self, message_id: str, text: str) -> None:
        message = self._message(message_id)
        if message is None or not text.strip() or self.live is not None:
            return
        self._show_until(message.get("parent_id"))
        m = self.metrics()
        edited = {**message, "content": text}
        self.ids.messages.data.extend(
            self._stamp([meta_row(edited, {}, m), body_row("edit", "user", text, m, key="edit")])
        )
        params = {
            "session_id": self.session_id,
            "message_id": message_id,
            "content": text,
            "model": self.model_id,
        }
        self._stream("chat.edit", params)

    def switch_branch(self, message_id: str, delta: int) -> None:
        target = sibling_at(message_id, self.siblings, delta)
        if target is None or self.live is not None:
            return
        params = {"session_id": self.session_id, "message_id": target}
        self.app.bridge.call("chat.switch_branch", params, self._show_transcript, self.error)

    def toggle_thinking(self, index: int) -> None:
        rv = self.ids.messages
        row = rv.data[index]
        rv.data[index] = {**row, "expanded": not row.get("expanded")}
