# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""The chat screen's tools: which tools the chat offers (its picker, saved with chat.update),
`@server` completion in the message box, and the tool calls of a streaming answer with
their approval (tools.approve).

A mixin of `ChatScreen`, which owns `session_id`, `session_tools`, `live`, `live_tools`
and the message list these change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.properties import ListProperty, StringProperty
from kivy.uix.modalview import ModalView

from llamadesk.core.commands import CommandError
from llamadesk.core.models.chat_history import ChatSession
from llamadesk.core.models.chat_params import SendParams, UpdateChatParams
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.mcp import McpServerInfo, McpServerList
from llamadesk.core.models.tools import (
    ApprovalDecision,
    ApproveParams,
    ApproveResult,
    NamedToolChoice,
    ToolCatalog,
)

from ..catalogs import N_, tr
from ..viewmodels.chat_options import Suggestion, slash_suggestions
from ..viewmodels.composer import complete_mention, forced_tool, mention_at, mention_choices, slash_command
from ..viewmodels.status import short_model_name
from ..viewmodels.tool_picker import PickerProvider, picker_providers, toggle_provider, toggle_tool
from ..widgets.common import make
from .chat_stream import LiveAnswer, LiveTools

if TYPE_CHECKING:
    from .base import AppScreen as _Screen
else:
    _Screen = object


class ToolPickerDialog(ModalView):
    """Tick the providers (or single tools) a chat may use."""

    note = StringProperty(N_("Listing the tools… (a server that is not running is started)"))
    chosen = ListProperty()

    def __init__(
        self,
        on_done: Callable[[list[str]], None],
        on_call: Callable[[str], None],
        on_manage: Callable[[], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.finished = on_done  # with the chosen names
        self.call_now = on_call  # with a tool's name: make the model call it now
        self.manage_servers = on_manage
        self.providers: list[PickerProvider] = []
        self._catalog: ToolCatalog | None = None
        self._servers: list[McpServerInfo] = []

    def show(self, catalog: ToolCatalog | None = None, servers: list[McpServerInfo] | None = None) -> None:
        if catalog is not None:
            self._catalog = catalog
        if servers is not None:
            self._servers = servers
        if self._catalog is None:
            return
        self.providers = picker_providers(self._catalog, self._servers, list(self.chosen))
        box = self.ids.providers
        box.clear_widgets()
        for provider in self.providers:
            row = make(
                "PickerProviderRow",
                name=provider.name,
                status=provider.status,
                active=provider.chosen,
                available=provider.available,
            )
            row.ids.check.bind(active=lambda _c, on, p=provider: self._provider(p, on))
            box.add_widget(row)
            for tool in provider.tools:
                line = make(
                    "PickerToolRow",
                    name=tool.name,
                    description=tool.description,
                    active=tool.chosen,
                    inherited=provider.chosen,
                )
                line.ids.check.bind(active=lambda _c, on, p=provider, t=tool.name: self._tool(p, t, on))
                line.ids.call.bind(on_release=lambda _b, t=tool.name: self._call(t))
                box.add_widget(line)
        self.note = "" if self.providers else tr("No tools yet: add an MCP server under Tools.")

    def _provider(self, provider: PickerProvider, on: bool) -> None:
        if on != (provider.name in self.chosen):
            self.chosen = toggle_provider(list(self.chosen), provider, on)
            self.show()

    def _tool(self, provider: PickerProvider, tool: str, on: bool) -> None:
        current = provider.name in self.chosen or tool in self.chosen
        if on != current:
            self.chosen = toggle_tool(list(self.chosen), provider, tool, on)
            self.show()

    def _call(self, tool: str) -> None:
        self.dismiss()
        self.call_now(tool)

    def done(self) -> None:
        self.dismiss()
        self.finished(list(self.chosen))

    def manage(self) -> None:
        self.dismiss()
        self.manage_servers()


class ChatTools(_Screen):
    """Tools for the chat screen, through tools.*, mcp.list and chat.update."""

    session_id: str
    session_tools: list[str]
    mention_names: list[str]
    mention_suggestions: list[str]
    suggestions: list[Suggestion]
    tool_names: list[str]
    model_choices: list[str]
    preset_names: list[str]
    live: LiveAnswer | None
    live_tools: LiveTools | None
    error: Callable[[CommandError], None]
    _draw_live_rows: Callable[[int], None]

    # ---- which tools the chat offers --------------------------------------------------
    def open_tool_picker(self) -> ToolPickerDialog:
        dialog = ToolPickerDialog(
            chosen=list(self.session_tools),
            on_done=self.set_chat_tools,
            on_call=self.prepare_tool_call,
            on_manage=lambda: self.app.show_screen("tools"),
        )
        dialog.open()
        bridge = self.app.bridge
        if bridge.has("mcp.list"):
            bridge.call("mcp.list", Empty(), McpServerList, lambda r: dialog.show(servers=r.servers))
        bridge.call("tools.list", Empty(), ToolCatalog, lambda r: self._catalog_for(dialog, r), self.error)
        return dialog

    def _catalog_for(self, dialog: ToolPickerDialog, catalog: ToolCatalog) -> None:
        self._learn_names([p.name for p in catalog.providers])
        self.tool_names = sorted({t.name for p in catalog.providers for t in p.tools})
        dialog.show(catalog=catalog)

    def set_chat_tools(self, chosen: list[str]) -> None:
        """Save the chat's tools; a chat not started yet keeps them for its first message."""
        self.session_tools = chosen
        if self.session_id:
            params = UpdateChatParams(session_id=self.session_id, tools=chosen)
            self.app.bridge.call("chat.update", params, ChatSession, self._tools_saved, self.error)

    def _tools_saved(self, session: ChatSession) -> None:
        if session.id == self.session_id:
            self.session_tools = list(session.tools)

    def prepare_tool_call(self, tool: str) -> None:
        """Put `/tool NAME ` in the message box: the next message makes the model call it."""
        composer = self.ids.composer
        composer.text = f"/tool {tool} "
        composer.cursor = (len(composer.text), 0)
        composer.focus = True

    # ---- what the message box sends: /commands ---------------------------------------
    def run_slash_command(self, text: str) -> bool:
        """`/preset NAME`, `/model NAME`, `/tools`, `/clear` act at once; True if it was one."""
        command = slash_command(text)
        if command is None or command.name == "tool":
            return False
        actions = {
            "preset": lambda: self.pick_preset(command.argument),
            "model": lambda: self.pick_model(command.argument),
            "tools": self.open_tool_picker,
            "clear": self.new_chat,
        }
        action = actions.get(command.name)
        if action is None:
            self.hint = tr("/{command} is not a command: / shows them.").format(command=command.name)
            return True
        self.ids.composer.text = ""
        self.mention_suggestions = []
        action()
        self._update_hint()
        return True

    def send_params(self, text: str) -> SendParams | None:
        """chat.send's params for what was typed; None (with a hint) for a command it cannot run.

        `/tool NAME message` offers that tool and makes the model call it. A chat not started
        yet sends its picked tools with its first message (and saves them once it exists)."""
        tools = list(self.session_tools) if not self.session_id and self.session_tools else None
        command = slash_command(text)
        if command is not None and command.name == "tool":
            forced = forced_tool(command)
            if forced is None:
                self.hint = tr("Write /tool NAME message: the model calls the tool NAME for the message.")
                return None
            return SendParams(
                session_id=self.session_id or None,
                content=forced.text,
                model=self.model_id,
                sampling=self.sampling,
                tools=[forced.tool],
                tool_choice=NamedToolChoice(name=forced.tool),
            )
        return SendParams(
            session_id=self.session_id or None,
            content=text,
            model=self.model_id,
            sampling=self.sampling,
            tools=tools,
        )

    # ---- @mentions ------------------------------------------------------------------
    def refresh_mention_names(self) -> None:
        if self.app.bridge.has("mcp.list"):
            self.app.bridge.call(
                "mcp.list", Empty(), McpServerList, lambda r: self._learn_names([s.name for s in r.servers])
            )

    def _learn_names(self, names: list[str]) -> None:
        self.mention_names = sorted(set(self.mention_names) | set(names))

    def on_composer_text(self) -> None:
        """What the message box offers for what is typed: the `/` menu, or @mentions."""
        composer = self.ids.composer
        text, cursor = composer.text, composer.cursor_index()
        if text.startswith("/"):
            models = [short_model_name(m) for m in self.model_choices]
            self.suggestions = slash_suggestions(text, list(self.preset_names), models, self.tool_names)
        else:
            found = mention_at(text, cursor)
            names = mention_choices(found[1], list(self.mention_names)) if found else []
            self.suggestions = []
            for name in names:
                completed, at = complete_mention(text, cursor, name)
                self.suggestions.append(Suggestion(f"@{name}", completed, at))
        self.mention_suggestions = [s.label for s in self.suggestions]

    def on_mention_suggestions(self, _screen: Any, labels: list[str]) -> None:
        """A chip per suggestion; Tab takes the first."""
        chips = self.ids.mention_chips
        chips.clear_widgets()
        for index, label in enumerate(labels):
            chips.add_widget(make("MentionChip", text=label, screen=self, index=index))

    def take_suggestion(self, index: int) -> bool:
        if not 0 <= index < len(self.suggestions):
            return False
        chosen = self.suggestions[index]
        composer = self.ids.composer
        composer.text = chosen.text
        at = len(chosen.text) if chosen.cursor < 0 else chosen.cursor
        composer.cursor = composer.get_cursor_from_index(at)
        composer.focus = True
        self.on_composer_text()
        return True

    def complete_first_mention(self) -> bool:
        """Tab in the message box: take the first suggestion, if there is one."""
        return self.take_suggestion(0)

    def complete_mention(self, name: str) -> None:
        composer = self.ids.composer
        text, cursor = complete_mention(composer.text, composer.cursor_index(), name)
        composer.text = text
        composer.cursor = composer.get_cursor_from_index(cursor)
        composer.focus = True

    # ---- calls of a streaming answer --------------------------------------------------
    def live_tool_event(self, event: Any) -> None:
        if self.live is None or self.live_tools is None:
            return
        if not self.live.finished:  # the answer that called is complete: its text is final
            self.live.finish()
        self.live_tools.apply(event)

    def approve_tool(self, index: int, request_id: str, decision: str) -> None:
        rv = self.ids.messages
        if 0 <= index < len(rv.data) and rv.data[index].get("request_id") == request_id:
            rv.data[index] = {**rv.data[index], "deciding": True}
        params = ApproveParams(request_id=request_id, decision=ApprovalDecision(decision))
        self.app.bridge.call("tools.approve", params, ApproveResult, self._approved, self.error)

    def _approved(self, result: ApproveResult) -> None:
        if not result.accepted:
            self.app.notify(tr("That call was already decided, or its answer was stopped."))

    def waiting_calls(self) -> int:
        return len(self.live_tools.waiting()) if self.live_tools is not None else 0

    def toggle_row(self, index: int, key: str) -> None:
        rv = self.ids.messages
        if 0 <= index < len(rv.data):
            row = rv.data[index]
            rv.data[index] = {**row, key: not row.get(key)}
