# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""The chat screen's per-message actions: copy, regenerate, edit, switch branch, show thinking,
and the sheet a long press on a message opens with all of them (touch has no hover).

A mixin of `ChatScreen`, which owns the state these read (`messages`, `siblings`,
`live`, `session_id`, `model_id`, `model_state`) and the streaming they start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.properties import StringProperty
from kivy.uix.modalview import ModalView

from llamadesk.core.commands import CommandError
from llamadesk.core.models.base import CommandParams
from llamadesk.core.models.chat_history import ChatMessage, ChatTranscript
from llamadesk.core.models.chat_params import EditParams, RegenerateParams, SwitchBranchParams
from llamadesk.core.models.llama import SamplingParams

from ..catalogs import tr
from ..viewmodels.chat_rows import RowMetrics, action_bar_index, conversation_rows, sent_rows, sibling_at
from ..widgets.common import make
from ..widgets.dialogs import TextDialog
from ..widgets.message_views import copy_text
from .chat_stream import LIVE, LiveAnswer

if TYPE_CHECKING:
    from .base import AppScreen as _Screen
else:
    _Screen = object


class MessageActions(ModalView):
    """A message's actions as a column of full-width buttons, each closing the sheet."""

    title = StringProperty("")

    def __init__(self, actions: list[tuple[str, Callable[[], object]]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for label, run in actions:
            button = make("FlatButton", text=label)
            button.bind(on_release=lambda _button, run=run: self._run(run))
            self.ids.actions.add_widget(button)

    def _run(self, run: Callable[[], object]) -> None:
        self.dismiss()
        run()


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
    # ChatOptions' (chat_panel.py), beside this mixin in ChatScreen.
    toggle_details: Callable[..., None]
    rate: Callable[[str, str], None]
    share_message: Callable[[str], object]

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
        self.ids.messages.data.extend(self._stamp(sent_rows(edited, "edit", m)))
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

    def long_pressed(self, index: int) -> MessageActions | None:
        """A finger held on row `index`: the message's details show and its actions open."""
        rows = self.ids.messages.data
        if not 0 <= index < len(rows) or not rows[index].get("message_id"):
            return None
        message_id = rows[index]["message_id"]
        bar = action_bar_index(rows, index)
        bar_row = rows[bar] if bar is not None else {}
        if bar is not None:
            self.toggle_details(bar, True)
        sheet = MessageActions(self.message_actions(message_id, bar_row), title=bar_row.get("details", ""))
        sheet.open()
        return sheet

    def message_actions(
        self, message_id: str, bar_row: dict[str, Any]
    ) -> list[tuple[str, Callable[[], object]]]:
        """What can be done to a message now, in the order its action bar shows it."""
        actions: list[tuple[str, Callable[[], object]]] = [
            (tr("Copy"), lambda: self.copy_message(message_id))
        ]
        message = self._message(message_id)
        if message is None or self.live is not None:  # still being written: it can only be copied
            return actions
        if message.role.value == "user":
            actions.append((tr("Edit"), lambda: self.edit_message(message_id)))
        else:
            actions += [
                (tr("Regenerate"), lambda: self.regenerate(message_id)),
                (tr("Share"), lambda: self.share_message(message_id)),
                (tr("Like"), lambda: self.rate(message_id, "up")),
                (tr("Dislike"), lambda: self.rate(message_id, "down")),
            ]
        if bar_row.get("can_prev"):
            actions.append((tr("Previous version"), lambda: self.switch_branch(message_id, -1)))
        if bar_row.get("can_next"):
            actions.append((tr("Next version"), lambda: self.switch_branch(message_id, 1)))
        return actions

    def toggle_thinking(self, index: int) -> None:
        rv = self.ids.messages
        row = rv.data[index]
        rv.data[index] = {**row, "expanded": not row.get("expanded")}
