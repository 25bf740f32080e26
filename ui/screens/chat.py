"""Chat: the message list, the composer, the model picker; sessions in the sidebar.

Everything goes through `chat.*`, `runtime.*` and `models.*` commands on the
worker pool; tokens arrive batched once per frame and feed a `LiveAnswer`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from llamadesk.core.commands import CommandError
from llamadesk.core.models.chat import ChatMessage

from .. import theme
from ..viewmodels.chat_rows import RowMetrics, conversation_rows
from ..viewmodels.chat_tree import ChatTree
from ..viewmodels.markdown_blocks import Block, MarkupStyle, markdown_to_blocks
from ..viewmodels.records import items, pick, unwrap
from ..viewmodels.status import loaded_models, model_name, ready_model
from ..widgets.dialogs import TextDialog
from ..widgets.message_views import copy_text
from .base import AppScreen
from .chat_stream import LIVE, LiveAnswer

BLOCK_CACHE_SIZE = 4000
# Messages turned into rows at once; older pages are added as the user scrolls up, so
# opening a 10,000-message chat costs the same as opening a 200-message one.
PAGE = 200


class ChatScreen(AppScreen):
    session_id = StringProperty("")
    session_title = StringProperty("New chat")
    model_id = StringProperty("")  # the model answering in this chat
    model_choices = ListProperty()
    model_state = StringProperty("")  # ready, loading, ... of model_id
    streaming = BooleanProperty(False)
    starter_offer = BooleanProperty(False)
    hint = StringProperty("")
    theme_name = StringProperty("dark")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tree: ChatTree | None = None
        self.stats: dict[str, dict[str, Any]] = {}
        self.live: LiveAnswer | None = None
        self._blocks: OrderedDict[tuple[str, str, str], list[Block]] = OrderedDict()
        self._metrics: RowMetrics | None = None
        self._sessions: list[dict[str, Any]] = []
        self.system_prompt = ""

    # ---- lifecycle -------------------------------------------------------------------
    def on_app_start(self) -> None:
        self.theme_name = self.app.theme.name
        self.refresh_sessions()
        self.refresh_models()
        self._update_hint()

    def on_shown(self) -> None:
        self.refresh_models()

    def rerender(self) -> None:
        self.theme_name = self.app.theme.name
        self._blocks.clear()
        self.ids.messages.refresh_from_data()

    # ---- rendering -------------------------------------------------------------------
    def markup_style(self) -> MarkupStyle:
        t = self.app.theme
        return MarkupStyle(
            code_color=t.hex("warning"),
            link_color=t.hex("link"),
            muted_color=t.hex("text_muted"),
            mono_font=theme.FONT_MONO,
            code_style=theme.CODE_STYLES.get(t.name, "monokai"),
        )

    def blocks_for(self, cache_key: str, source: str) -> list[Block]:
        """Parsed blocks of a body row; frozen rows are parsed once, the live tail every time."""
        if cache_key.endswith("-tail"):
            return markdown_to_blocks(source, self.markup_style())
        key = (cache_key, source, self.theme_name)
        blocks = self._blocks.get(key)
        if blocks is None:
            blocks = markdown_to_blocks(source, self.markup_style())
            self._blocks[key] = blocks
            if len(self._blocks) > BLOCK_CACHE_SIZE:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(key)
        return blocks

    def metrics(self) -> RowMetrics:
        width = self.ids.messages.width if self.ids.messages.width > 100 else 700
        if self._metrics is None or abs(self._metrics.width - width) > 1:
            probe = CoreLabel(text="abcdefghij klmnopqrst", font_size=sp(theme.FONT_SIZE))
            probe.refresh()
            char_width = probe.texture.size[0] / 21
            line = probe.texture.size[1] * 1.15
            self._metrics = RowMetrics(
                width=width,
                char_width=char_width,
                line_height=line,
                code_line_height=sp(13) * 1.3,
                padding=dp(theme.LG),
                meta_height=dp(theme.TOUCH),
            )
        return self._metrics

    def _with_controller(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            row["controller"] = self
        return rows

    def show_messages(self, messages: list[ChatMessage], leaf_id: str | None = None) -> None:
        self.tree = ChatTree(messages, leaf_id)
        self._show_path()

    def _show_path(self, upto: str | None = None) -> None:
        """Rows of the last PAGE messages of the current path (cut after `upto` if given)."""
        assert self.tree is not None
        path = [m for m in self.tree.path() if m.role.value != "system"]
        if upto is not None:
            cut = next((i for i, m in enumerate(path) if m.id == upto), -1)
            path = path[: cut + 1]
        self._path = path
        self._shown_from = max(0, len(path) - PAGE)
        rows = conversation_rows(path[self._shown_from :], self.tree, self.metrics(), self.stats)
        self._paging = False  # until the list has been laid out and scrolled to its end
        self.ids.messages.data = self._with_controller(rows)
        Clock.schedule_once(lambda _dt: self._opened(), 0)

    def _opened(self) -> None:
        self.scroll_to_end()
        self._paging = True

    def on_messages_scroll(self, scroll_y: float) -> None:
        """Near the top of what is shown: add the previous page, keeping the view in place."""
        if scroll_y < 0.97 or not getattr(self, "_paging", False) or not self._shown_from or self.live:
            return
        rv = self.ids.messages
        start = max(0, self._shown_from - PAGE)
        older = conversation_rows(self._path[start : self._shown_from], self.tree, self.metrics(), self.stats)
        self._shown_from = start
        content = rv.children[0]
        from_bottom = rv.scroll_y * max(0.0, content.height - rv.height)
        rv.data = self._with_controller(older) + list(rv.data)
        rv.refresh_views()
        scrollable = content.height - rv.height
        if scrollable > 0:
            rv.scroll_y = min(1.0, from_bottom / scrollable)

    def scroll_to_end(self) -> None:
        self.ids.messages.scroll_y = 0

    # ---- sessions --------------------------------------------------------------------
    def refresh_sessions(self) -> None:
        if self.app.bridge.has("chat.list"):
            self.app.bridge.call("chat.list", {}, self._show_sessions, self._error)

    def _show_sessions(self, result: Any) -> None:
        sessions = items(result.model_dump(mode="json"), "sessions", "items", "chats")
        sessions.sort(key=lambda s: (not s.get("pinned"), str(s.get("updated_at", ""))), reverse=False)
        pinned = [s for s in sessions if s.get("pinned")]
        rest = sorted(
            (s for s in sessions if not s.get("pinned")),
            key=lambda s: str(s.get("updated_at", "")),
            reverse=True,
        )
        self._set_session_rows(pinned + rest)

    def _set_session_rows(self, sessions: list[dict[str, Any]]) -> None:
        self._sessions = sessions
        self.app.shell.ids.sidebar.sessions = [
            {
                "text": ("* " if s.get("pinned") else "") + str(s.get("title") or "New chat"),
                "session_id": str(pick(s, "id", "session_id", default="")),
                "pinned": bool(s.get("pinned")),
                "selected": str(pick(s, "id", "session_id", default="")) == self.session_id,
                "controller": self,
            }
            for s in sessions
        ]

    def search_sessions(self, query: str) -> None:
        query = query.strip()
        if not query:
            self.refresh_sessions()
        elif self.app.bridge.has("chat.search"):
            self.app.bridge.call("chat.search", {"query": query}, self._show_search, self._error)

    def _show_search(self, result: Any) -> None:
        hits = items(result.model_dump(mode="json"), "hits", "results", "sessions", "items")
        seen: dict[str, dict[str, Any]] = {}
        for hit in hits:
            session = unwrap(hit, "session")
            sid = str(pick(hit, "session_id", default=pick(session, "id", default="")))
            if sid and sid not in seen:
                seen[sid] = {
                    "id": sid,
                    "title": pick(hit, "title", default=pick(session, "title", default="")),
                }
        self._set_session_rows(list(seen.values()))

    def new_chat(self) -> None:
        if self.live is not None:
            return
        self.session_id = ""
        self.session_title = "New chat"
        self.stats.clear()
        self.show_messages([])
        self.ids.composer.focus = True

    def open_session(self, session_id: str) -> None:
        if self.live is not None or not session_id:
            return
        self.app.shell.close_drawer()
        self.app.bridge.call("chat.get", {"session_id": session_id}, self._show_session, self._error)

    def _show_session(self, result: Any) -> None:
        data = result.model_dump(mode="json")
        session = unwrap(data, "session")
        self.session_id = str(pick(session, "id", default=""))
        self.session_title = str(pick(session, "title", default="Chat"))
        self.system_prompt = str(pick(session, "system_prompt", default=""))
        if pick(session, "model"):
            self.model_id = str(session["model"])
        messages = [ChatMessage.model_validate(m) for m in items(data, "messages")]
        for m in items(data, "messages"):
            usage = pick(m, "usage")
            if isinstance(usage, dict):
                self.stats[str(m["id"])] = {
                    "tokens": usage.get("completion_tokens"),
                    "tokens_per_second": usage.get("tokens_per_second"),
                }
        self.show_messages(messages, pick(data, "leaf_id", "active_leaf_id", "current_leaf_id"))
        self._set_session_rows(self._sessions)
        self._update_hint()

    def rename_session(self) -> None:
        if not self.session_id:
            return
        TextDialog(
            title="Rename chat",
            text=self.session_title,
            on_submit=lambda title: self.app.bridge.call(
                "chat.rename",
                {"session_id": self.session_id, "title": title},
                lambda _r: (setattr(self, "session_title", title), self.refresh_sessions()),
                self._error,
            ),
        ).open()

    def delete_session(self) -> None:
        if not self.session_id:
            return
        from ..widgets.dialogs import ConfirmDialog

        sid = self.session_id
        ConfirmDialog(
            title="Delete chat",
            text=f"Delete “{self.session_title}” and all its messages?",
            confirm="Delete",
            on_confirm=lambda: self.app.bridge.call(
                "chat.delete",
                {"session_id": sid},
                lambda _r: (self.new_chat(), self.refresh_sessions()),
                self._error,
            ),
        ).open()

    def toggle_pin(self) -> None:
        if not self.session_id:
            return
        pinned = any(s.get("pinned") for s in self._sessions if str(s.get("id")) == self.session_id)
        self.app.bridge.call(
            "chat.pin" if self.app.bridge.has("chat.pin") else "chat.rename",
            {"session_id": self.session_id, "pinned": not pinned},
            lambda _r: self.refresh_sessions(),
            self._error,
        )

    def edit_system_prompt(self) -> None:
        TextDialog(
            title="System prompt",
            text=self.system_prompt,
            multiline=True,
            on_submit=self._set_system_prompt,
        ).open()

    def _set_system_prompt(self, text: str) -> None:
        self.system_prompt = text
        if self.session_id and self.app.bridge.has("chat.set_system_prompt"):
            self.app.bridge.call(
                "chat.set_system_prompt",
                {"session_id": self.session_id, "system_prompt": text},
                None,
                self._error,
            )

    # ---- models ----------------------------------------------------------------------
    def refresh_models(self) -> None:
        if self.app.bridge.has("models.list"):
            self.app.bridge.call("models.list", {}, self._show_models, self._error)

    def _show_models(self, result: Any) -> None:
        models = items(result.model_dump(mode="json"), "models", "items")
        self.model_choices = [str(pick(m, "name", "id", default="?")) for m in models]
        self.starter_offer = not models
        if not self.model_id and self.model_choices:
            self.model_id = self.model_choices[0]
        self._update_hint()

    def on_runtime_status(self, status: dict[str, Any]) -> None:
        state = ""
        for entry in loaded_models(status):
            if self.model_id and self.model_id in (
                model_name(entry),
                str(entry.get("id")),
                str(entry.get("model")),
            ):
                state = str(entry.get("state", ""))
        if not self.model_id:
            ready = ready_model(status)
            if ready:
                self.model_id = ready
                state = "ready"
        self.model_state = state
        self._update_hint()

    def _update_hint(self) -> None:
        if self.model_state in ("ready", "generating"):
            self.hint = ""
        elif self.model_state == "loading":
            self.hint = f"Loading {self.model_id}…"
        elif self.starter_offer:
            self.hint = "No model yet: get the starter model (98 MB) to begin."
        elif self.model_id:
            self.hint = f"Load {self.model_id} to start chatting."
        else:
            self.hint = "Pick a model, or find one under Discover."

    def load_model(self) -> None:
        if not self.model_id:
            return
        self.model_state = "loading"
        self._update_hint()
        self.app.bridge.stream(
            "runtime.load",
            {"model": self.model_id},
            self._on_load_events,
            lambda _r: (
                setattr(self, "model_state", "ready"),
                self._update_hint(),
                self.app.refresh_status(),
            ),
            self._load_failed,
        )

    def _on_load_events(self, events: list[Any]) -> None:
        for event in events:
            if getattr(event, "kind", "") == "state":
                self.model_state = event.state
        self._update_hint()

    def _load_failed(self, error: CommandError) -> None:
        self.model_state = "error"
        self.hint = error.message
        self._error(error)

    def unload_model(self) -> None:
        if self.model_id:
            self.app.bridge.call(
                "runtime.unload",
                {"model": self.model_id},
                lambda _r: (setattr(self, "model_state", ""), self._update_hint(), self.app.refresh_status()),
                self._error,
            )

    def get_starter_model(self) -> None:
        self.hint = "Fetching the starter model (98 MB)…"
        self.app.bridge.stream(
            "models.starter",
            {},
            None,
            lambda r: self._starter_ready(r),
            self._error,
        )

    def _starter_ready(self, result: Any) -> None:
        self.starter_offer = False
        name = pick(unwrap(result.model_dump(mode="json"), "model"), "name", "id")
        if name:
            self.model_id = str(name)
        self.refresh_models()
        self.load_model()

    # ---- sending and streaming -------------------------------------------------------
    def send(self) -> None:
        text = self.ids.composer.text.strip()
        if not text or self.live is not None:
            return
        if self.model_state not in ("ready", "generating"):
            self._update_hint()
            return
        self.ids.composer.text = ""
        if not self.session_id:
            self.app.bridge.call(
                "chat.new",
                {"model": self.model_id, "system_prompt": self.system_prompt},
                lambda r: self._session_created(r, text),
                self._error,
            )
            return
        self._start_send(text)

    def _session_created(self, result: Any, text: str) -> None:
        session = unwrap(result.model_dump(mode="json"), "session")
        self.session_id = str(pick(session, "id", default=""))
        self.refresh_sessions()
        self._start_send(text)

    def _start_send(self, text: str) -> None:
        rv = self.ids.messages
        m = self.metrics()
        rv.data.extend(
            self._with_controller(
                [
                    {
                        "viewclass": "MessageMeta",
                        "message_id": "pending-user",
                        "role": "user",
                        "model_name": "",
                        "branch_text": "",
                        "can_prev": False,
                        "can_next": False,
                        "footer": "",
                        "streaming": True,
                        "height": m.meta_height,
                    },
                    {
                        "viewclass": "MessageBody",
                        "message_id": "pending-user",
                        "role": "user",
                        "source": text,
                        "cache_key": f"pending-{len(rv.data)}",
                        "height": m.line_height + m.padding,
                        "controller": self,
                    },
                ]
            )
        )
        self._stream("chat.send", {"session_id": self.session_id, "content": text, "model": self.model_id})

    def _stream(self, command_id: str, params: dict[str, Any]) -> None:
        rv = self.ids.messages
        self.live = LiveAnswer(_ControllerData(rv.data, self), self.metrics(), self.model_id)
        self.streaming = True
        self.live.handle = self.app.bridge.stream(
            command_id, params, self._on_tokens, self._stream_done, self._stream_failed
        )
        self.scroll_to_end()

    def _on_tokens(self, events: list[Any]) -> None:
        if self.live is None:
            return
        at_bottom = self.ids.messages.scroll_y <= 0.01
        self.live.feed(events)
        speed = self.live.tokens_per_second()
        if speed:
            self.app.shell.ids.status.speed_text = f"{speed:.1f} tok/s"
        if at_bottom:
            self.scroll_to_end()

    def _stream_done(self, result: Any) -> None:
        live, self.live = self.live, None
        self.streaming = False
        if live is None:
            return
        live.finish()
        data = result.model_dump(mode="json")
        usage = pick(data, "usage", default={}) or {}
        message = unwrap(data, "message")
        message_id = str(pick(message, "id", "message_id", default=""))
        if message_id:
            self.stats[message_id] = {
                "tokens": usage.get("completion_tokens") or live.tokens,
                "tokens_per_second": usage.get("tokens_per_second") or live.tokens_per_second(),
            }
        self.reload_session()

    def _stream_failed(self, error: CommandError) -> None:
        live, self.live = self.live, None
        self.streaming = False
        if live is not None:
            live.finish()
        if error.code != "cancelled":
            rv = self.ids.messages
            rv.data.append(
                {
                    "viewclass": "ErrorRow",
                    "message_id": "",
                    "text": error.message,
                    "height": self.metrics().meta_height,
                    "controller": self,
                }
            )
        self.reload_session()

    def reload_session(self) -> None:
        if self.session_id:
            self.app.bridge.call("chat.get", {"session_id": self.session_id}, self._show_session, self._error)
            self.refresh_sessions()

    def stop(self) -> bool:
        """Stop the streaming answer (Esc); True if there was one."""
        if self.live is None or self.live.handle is None:
            return False
        self.live.handle.cancel()
        return True

    # ---- per-message actions ---------------------------------------------------------
    def _message(self, message_id: str) -> ChatMessage | None:
        return self.tree.by_id.get(message_id) if self.tree else None

    def copy_message(self, message_id: str) -> None:
        message = self._message(message_id)
        if message is not None:
            copy_text(message.content)
        elif message_id == LIVE and self.live is not None:
            copy_text(self.live.text.text)

    def regenerate(self, message_id: str) -> None:
        message = self._message(message_id)
        if message is None or self.live is not None or self.tree is None:
            return
        self._show_path_until(message.parent_id)
        self._stream(
            "chat.regenerate",
            {"session_id": self.session_id, "message_id": message_id, "model": self.model_id},
        )

    def edit_message(self, message_id: str) -> None:
        message = self._message(message_id)
        if message is None or self.live is not None:
            return
        TextDialog(
            title="Edit message",
            text=message.content,
            multiline=True,
            on_submit=lambda text: self._submit_edit(message, text),
        ).open()

    def _submit_edit(self, message: ChatMessage, text: str) -> None:
        self._show_path_until(message.parent_id)
        rv = self.ids.messages
        m = self.metrics()
        rv.data.extend(
            self._with_controller(
                [
                    {**conversation_rows([message], None, m)[0], "streaming": True},
                    {**conversation_rows([message], None, m)[1], "source": text, "cache_key": "edit"},
                ]
            )
        )
        self._stream(
            "chat.edit",
            {
                "session_id": self.session_id,
                "message_id": message.id,
                "content": text,
                "model": self.model_id,
            },
        )

    def _show_path_until(self, message_id: str | None) -> None:
        """Show the conversation up to `message_id` (the new branch grows from there)."""
        if self.tree is not None:
            self._show_path(upto=message_id or "")

    def switch_branch(self, message_id: str, delta: int) -> None:
        if self.tree is None or self.live is not None:
            return
        leaf = self.tree.switch(message_id, delta)
        if leaf is None:
            return
        self._show_path()
        if self.app.bridge.has("chat.switch_branch"):
            self.app.bridge.call(
                "chat.switch_branch", {"session_id": self.session_id, "message_id": leaf}, None, self._error
            )

    def toggle_thinking(self, index: int) -> None:
        rv = self.ids.messages
        row = rv.data[index]
        rv.data[index] = {**row, "expanded": not row.get("expanded")}

    def open_menu(self, button: Any) -> None:
        from ..widgets.common import make

        make("ChatMenu", screen=self).open(button)  # type: ignore[attr-defined]

    def _error(self, error: CommandError) -> None:
        self.app.notify(error.message)


class _ControllerData:
    """The RecycleView's data list, stamping the controller on every row a LiveAnswer adds."""

    def __init__(self, data: Any, controller: ChatScreen) -> None:
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
