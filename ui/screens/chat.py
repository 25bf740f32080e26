"""Chat: the message list, the composer, the model picker; the chat list lives in the sidebar.

Everything goes through chat.*, runtime.* (and models.list when the library is
there) on the worker pool; tokens arrive batched once per frame and feed a
`LiveAnswer`, which re-renders only the unfinished tail of the answer.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from llamadesk.core.commands import CommandError
from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import (
    ChatMessage,
    ChatPreset,
    ChatSession,
    ChatTranscript,
)
from llamadesk.core.models.chat_params import GetChatParams, UpdateChatParams
from llamadesk.core.models.llama import SamplingParams

from ..catalogs import N_, error_text, tr
from ..viewmodels.chat_options import Suggestion
from ..viewmodels.chat_rows import RowMetrics, conversation_rows, sent_rows
from ..viewmodels.documents import sending_rows
from ..viewmodels.markdown_blocks import Block
from ..widgets.dialogs import TextDialog
from ..widgets.message_views import body_renders
from ..widgets.rich_blocks import MathTextures
from .base import AppScreen
from .chat_actions import ChatMessageActions
from .chat_answers import ChatStreaming
from .chat_documents import ChatDocuments
from .chat_models import ChatModels
from .chat_panel import DOCKED_FROM, ChatOptions, PanelSheet
from .chat_rendering import ChatRendering
from .chat_sessions import ChatSessions
from .chat_stream import LiveAnswer, LiveTools
from .chat_tools import ChatTools

# Messages fetched and turned into rows at once; older pages come while scrolling up,
# so opening a 10,000-message chat costs the same as opening a 200-message one.
PAGE = 200


class ChatScreen(
    ChatStreaming,
    ChatRendering,
    ChatDocuments,
    ChatOptions,
    ChatTools,
    ChatModels,
    ChatMessageActions,
    AppScreen,
):
    session_id = StringProperty("")
    session_title = StringProperty(N_("New chat"))
    model_id = StringProperty("")  # the model answering in this chat (a path, a name, or `starter`)
    model_choices = ListProperty()
    model_state = StringProperty("")  # ready, loading, ... of model_id
    streaming = BooleanProperty(False)
    starter_offer = BooleanProperty(False)
    hint = StringProperty("")
    theme_name = StringProperty("dark")
    session_tools = ListProperty()  # the tools this chat's answers may call (its `tools`)
    mention_names = ListProperty()  # tool providers an @mention may name
    mention_suggestions = ListProperty()  # labels of the completions offered (@mentions, the / menu)
    compact = BooleanProperty(False)  # a narrow chat: the model picker lives in the side panel
    panel_open = BooleanProperty(False)
    panel_docked = BooleanProperty(False)  # the panel sits beside the chat (else it is a sheet)
    preset_name = StringProperty("")
    preset_names = ListProperty()
    panel_note = StringProperty("")
    pending_files = ListProperty()  # PendingFile: attached to the next message (chat_documents.py)
    path_offer = StringProperty("")  # a file path pasted alone into the input, offered to attach
    chat_collections = ListProperty()  # collections chat.send searches for this chat's messages
    collection_names = ListProperty()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.show_title(None)  # the class default is the msgid; the language is set by now
        self.sessions = ChatSessions(self)
        self.messages: list[ChatMessage] = []  # the shown branch, oldest first
        self.siblings: dict[str, list[str]] = {}
        self.older_available = False
        self.live: LiveAnswer | None = None  # the answer (the step) streaming now
        self.live_tools: LiveTools | None = None  # the tool calls of the streaming answer
        self.system_prompt = ""
        # Sampling for this chat's answers; None leaves it to the chat's preset and the settings.
        self.sampling: SamplingParams | None = None
        self._blocks: OrderedDict[tuple[str, str, str], list[Block]] = OrderedDict()
        self.body_renders = body_renders()  # drawn bodies by row, reused when a row is shown again
        self.body_renders.math = MathTextures(on_ready=self._math_ready)
        self._math_warm = False
        self._metrics: RowMetrics | None = None
        self._paging = False
        self._loading_older = False
        self._library: list[str] = []
        self._loaded: dict[str, str] = {}
        self._presets: dict[str, ChatPreset] = {}
        self._sheet: PanelSheet | None = None
        self.tool_names: list[str] = []  # tools seen in tools.list, for the / menu
        self.suggestions: list[Suggestion] = []
        self._hovered: int | None = None  # the action bar whose details the mouse shows

    # ---- lifecycle -------------------------------------------------------------------
    def on_app_start(self) -> None:
        self.theme_name = self.app.theme.name
        self._theme_colors()
        Window.bind(mouse_pos=self.hover)
        Clock.schedule_once(
            lambda _dt: self.body_renders.prefill(
                {"text": 24, "live": 24, "code": 10, "rule": 2, "table": 6, "math": 6, "rich": 6}
            ),
            1.0,
        )
        self.sessions.refresh()
        self.refresh_models()
        self.refresh_mention_names()
        self.refresh_collection_names()
        self.watch_drops()
        self._update_hint()

    def on_shown(self) -> None:
        self.refresh_models()
        self.refresh_mention_names()
        self.refresh_collection_names()

    def on_size(self, *_: Any) -> None:
        if self.panel_docked and self.width < dp(DOCKED_FROM):
            self.close_panel()

    def on_library_changed(self) -> None:
        self.refresh_models()

    def _theme_colors(self) -> None:
        self.body_renders.text_color = list(self.app.theme.text)
        self.body_renders.math.set_color(list(self.app.theme.text))

    def _math_ready(self) -> None:
        """Formulas finished rendering: rows that showed their source are drawn again."""
        if self.body_renders.redraw_waiting():
            self.ids.messages.refresh_from_layout()

    def show_title(self, title: str | None) -> None:
        """The chat's title in the header; an untitled chat's "New chat" follows the language."""
        self._untitled = not title
        self.session_title = title or tr("New chat")

    def on_language_switch(self) -> None:
        self._update_hint()
        self.show_panel_values()  # its hints and notes are made in Python
        self.show_collection_choices()
        if self._untitled:
            self.show_title(None)

    def rerender(self) -> None:
        self.theme_name = self.app.theme.name
        self._theme_colors()
        self._blocks.clear()
        self.body_renders.clear()
        self.ids.messages.refresh_from_data()

    def _stamp(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            row["controller"] = self
        return rows

    def show_messages(
        self,
        messages: list[ChatMessage],
        siblings: dict[str, list[str]] | None = None,
        older: bool = False,
    ) -> None:
        """Show a branch (as chat.get returns it), scrolled to its end."""
        self.messages = messages
        self.siblings = siblings or {}
        self.older_available = older
        self._hovered = None
        self._paging = False  # until the list is laid out and scrolled to its end
        self.ids.messages.data = self._stamp(conversation_rows(messages, self.siblings, self.metrics()))
        # A long chat's rows are tens of thousands of objects that live until another chat is
        # shown (and are freed by reference counting then): keep the cyclic GC from walking them,
        # or its next full collection pauses scrolling for 100+ ms.
        gc.freeze()
        Clock.schedule_once(lambda _dt: self._opened(), 0)

    def _opened(self) -> None:
        self.scroll_to_end()
        self._paging = True

    def scroll_to_end(self) -> None:
        self.ids.messages.scroll_y = 0

    def on_messages_scroll(self, scroll_y: float) -> None:
        """Near the top: fetch the previous page of this branch."""
        self.app.collector.activity()
        if (
            scroll_y < 0.97
            or not self._paging
            or not self.older_available
            or self.live
            or self._loading_older
        ):
            return
        if not self.session_id or not self.messages:
            return
        self._loading_older = True
        params = GetChatParams(session_id=self.session_id, limit=PAGE, before_id=self.messages[0].id)
        self.app.bridge.call("chat.get", params, ChatTranscript, self._prepend_older, self.error)

    def _prepend_older(self, page: ChatTranscript) -> None:
        self._loading_older = False
        older = page.messages
        if not older:
            self.older_available = False
            return
        self.siblings.update(page.siblings)
        self.messages = older + self.messages
        self.older_available = len(self.messages) < page.total
        rv = self.ids.messages
        content = rv.children[0]
        from_bottom = rv.scroll_y * max(0.0, content.height - rv.height)
        rows = self._stamp(conversation_rows(older, self.siblings, self.metrics()))
        rv.data = rows + list(rv.data)
        rv.refresh_views()
        scrollable = content.height - rv.height
        if scrollable > 0:  # keep what the user was reading in place
            rv.scroll_y = min(1.0, from_bottom / scrollable)

    # ---- sessions --------------------------------------------------------------------
    def search_sessions(self, query: str) -> None:
        self.sessions.search(query)

    def new_chat(self) -> None:
        if self.live is not None:
            return
        self.session_id = ""
        self.show_title(None)
        self.session_tools = []
        self.chat_collections = []
        self.preset_name = ""
        self.show_messages([])
        self.sessions.show(self.sessions.sessions)
        self.ids.composer.focus = True

    def open_session(self, session_id: str) -> None:
        if self.live is not None or not session_id:
            return
        if self.app.shell is not None:
            self.app.shell.close_drawer()
        self.session_id = session_id
        self.reload_session()

    def reload_session(self) -> None:
        if self.session_id and self.app.bridge.has("chat.get"):
            params = GetChatParams(session_id=self.session_id, limit=PAGE)
            self.app.bridge.call("chat.get", params, ChatTranscript, self._show_transcript, self.error)

    def _show_transcript(self, transcript: ChatTranscript) -> None:
        session = transcript.session
        if session.id != self.session_id or self.live is not None:
            return  # the user moved on meanwhile
        self.show_title(session.title)
        self.system_prompt = session.system_prompt
        self.session_tools = list(session.tools)
        self.chat_collections = list(session.collections)
        self.preset_name = session.preset or ""
        if self.panel_open:
            self.show_panel_values()
        if session.model:
            self.model_id = session.model
        messages = transcript.messages
        self.show_messages(messages, dict(transcript.siblings), older=len(messages) < transcript.total)
        self.sessions.show(self.sessions.sessions)
        self._update_hint()

    def rename_session(self) -> None:
        self.sessions.rename()

    def delete_session(self) -> None:
        self.sessions.delete()

    def toggle_pin(self) -> None:
        self.sessions.toggle_pin()

    def edit_system_prompt(self) -> None:
        TextDialog(
            title=tr("System prompt"),
            text=self.system_prompt,
            multiline=True,
            on_submit=self._set_system_prompt,
        ).open()

    def _set_system_prompt(self, text: str) -> None:
        self.system_prompt = text
        if self.session_id:
            params = UpdateChatParams(session_id=self.session_id, system_prompt=text)
            self.app.bridge.call("chat.update", params, ChatSession, None, self.error)

    def open_menu(self, button: Any) -> None:
        from ..widgets.common import make

        make("ChatMenu", screen=self).open(button)

    # ---- sending and streaming -------------------------------------------------------
    def send(self) -> None:
        text = self.ids.composer.text.strip()
        if self.offer_pasted_path() or self.run_slash_command(text):
            return
        if not text or self.live is not None or self.model_state not in ("ready", "generating"):
            return
        if self.attachments_waiting():
            self.hint = tr("A file is still being read; send when its chip shows its pages or size.")
            return
        params = self.send_params(text)
        if params is None:
            return
        params = self.with_documents(params)
        self.ids.composer.text = ""
        self.mention_suggestions = []
        m = self.metrics()
        text = params.content
        pending = self.pending_message("pending-user", text)
        chips = sending_rows(params.files, m.chip_height)
        self.ids.messages.data.extend(self._stamp(sent_rows(pending, f"pending-{text}", m, chips)))
        self._stream("chat.send", params)

    def pending_message(self, message_id: str, text: str) -> ChatMessage:
        """The user's message as shown until the chat's stored transcript comes back."""
        return ChatMessage(
            id=message_id,
            session_id=self.session_id,
            role=Role.USER,
            content=text,
            created_at=datetime.now(UTC),
        )

    def error(self, error: CommandError) -> None:
        self._loading_older = False
        self.app.notify(error_text(error))
