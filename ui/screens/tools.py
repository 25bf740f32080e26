# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""Tools: the MCP servers whose tools chats may use (add, edit, switch on and off, connect,
remove, import an `mcpServers` JSON), each with its status in words and its tools; and the
tools plugins offer.

Everything goes through mcp.* (the MCP plugin's commands) and tools.list. Secrets come back
masked, as the commands return them; the editor sends a masked value back unchanged, which
keeps the stored one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, DictProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.mcp import (
    McpAdded,
    McpConnected,
    McpImported,
    McpImportParams,
    McpNameParams,
    McpServerInfo,
    McpServerList,
    McpServerTools,
    McpToolInfo,
    McpUpdateParams,
)
from llamadesk.core.models.tools import ToolCatalog

from ..catalogs import error_text, tr, trn
from ..viewmodels.mcp_servers import (
    FormError,
    ServerForm,
    add_params,
    form_of,
    import_summary,
    server_card,
    update_params,
)
from ..widgets.common import make
from ..widgets.dialogs import ConfirmDialog, FileDialog, TextDialog
from .base import AppScreen

FORM_TEXT_FIELDS = ("name", "command", "args", "cwd", "env", "url", "headers")


class McpServerCard(BoxLayout):
    """One server: what it runs, its status in words, its tools once listed, and its buttons."""

    screen = ObjectProperty(None, allownone=True)
    name = StringProperty("")
    kind = StringProperty("")
    where = StringProperty("")
    state = StringProperty("")
    status = StringProperty("")
    tone = StringProperty("muted")
    enabled = BooleanProperty(True)
    trusted = BooleanProperty(False)
    tools_text = StringProperty("")
    env_text = StringProperty("")
    server_info = StringProperty("")
    busy = BooleanProperty(False)

    def show_tools(self, tools: list[McpToolInfo]) -> None:
        box = self.ids.tools
        box.clear_widgets()
        for tool in tools:
            marks = [
                m
                for m, on in ((tr("read-only"), tool.read_only), (tr("not offered"), not tool.allowed))
                if on
            ]
            extra = f"  ({', '.join(marks)})" if marks else ""
            box.add_widget(make("McpToolLine", name=tool.name + extra, description=tool.description))


class McpServerDialog(ModalView):
    """Add or edit a server. Errors show under their fields; nothing is saved until they are fixed
    (and, when adding with the check on, until the server started and listed its tools)."""

    form = ObjectProperty(ServerForm())
    transport = StringProperty("stdio")
    errors = DictProperty()
    note = StringProperty("")
    busy = BooleanProperty(False)

    def __init__(self, on_save: Callable[[ServerForm], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.save_form = on_save  # the dialog stays open until the screen closes it

    def on_form(self, _dialog: Any, form: ServerForm) -> None:
        self.transport = form.transport

    def read_form(self) -> ServerForm:
        ids = self.ids
        texts = {key: ids[key].text for key in FORM_TEXT_FIELDS}
        return ServerForm(
            **texts,
            transport=self.transport,
            trusted=ids.trusted.active,
            enabled=self.form.enabled,
            check=ids.check.active,
            editing=self.form.editing,
        )

    def submit(self) -> None:
        self.errors = {}
        self.note = ""
        form = self.read_form()
        try:
            add_params(form) if not form.editing else update_params(form)
        except FormError as exc:
            self.show_errors(exc.errors)
            return
        self.busy = True
        self.note = (
            tr("Starting it and listing its tools…") if form.check and not form.editing else tr("Saving…")
        )
        self.save_form(form)

    def show_errors(self, errors: dict[str, str]) -> None:
        self.busy = False
        self.errors = {key: message for key, message in errors.items() if key}
        self.note = errors.get("", "")
        for key in FORM_TEXT_FIELDS:
            self.ids[key].error = self.errors.get(key, "")

    def failed(self, message: str) -> None:
        self.busy = False
        self.note = message


class ToolsScreen(AppScreen):
    note = StringProperty("")
    available = BooleanProperty(True)  # the MCP plugin is loaded

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.servers: list[McpServerInfo] = []
        self.cards: dict[str, McpServerCard] = {}
        self.dialog: McpServerDialog | None = None

    def on_shown(self) -> None:
        self.refresh()
        self.refresh_plugin_tools()

    def refresh(self) -> None:
        self.available = self.app.bridge.has("mcp.list")
        if not self.available:
            self.note = tr("The MCP plugin is not loaded (Settings, Plugins): no servers can be added.")
            return
        self.app.bridge.call("mcp.list", Empty(), McpServerList, self._show, self._error)

    def _show(self, listing: McpServerList) -> None:
        self.servers = listing.servers
        box = self.ids.servers
        box.clear_widgets()
        self.cards = {}
        for server in listing.servers:
            card = McpServerCard(screen=self, **vars(server_card(server)))
            self.cards[server.name] = card
            box.add_widget(card)
            if server.state == "connected":  # its tools, without reconnecting
                self.app.bridge.call(
                    "mcp.tools",
                    McpNameParams(name=server.name),
                    McpServerTools,
                    lambda r: self._update_card(r.server, r.tools),
                    self._error,
                )
        if not listing.servers:
            box.add_widget(
                make(
                    "MutedLabel",
                    text=tr(
                        "No MCP servers yet. Add one (a program such as uvx mcp-server-time, or a URL), "
                        "or import the mcpServers JSON of Claude Desktop, Cursor or LM Studio."
                    ),
                    shorten=False,
                )
            )
        self.app.screens["chat"].refresh_mention_names()

    def _update_card(self, server: McpServerInfo, tools: list[McpToolInfo] | None = None) -> None:
        card = self.cards.get(server.name)
        if card is None:
            self.refresh()
            return
        for key, value in vars(server_card(server)).items():
            setattr(card, key, value)
        card.busy = False
        if tools is not None:
            card.show_tools(tools)
        self.servers = [server if s.name == server.name else s for s in self.servers]

    def refresh_plugin_tools(self) -> None:
        """The tools plugins offer. tools.list asks every provider, MCP servers too (starting
        them), so it runs on the worker pool after the servers' own list is shown."""
        if self.app.bridge.has("tools.list"):
            self.app.bridge.call("tools.list", Empty(), ToolCatalog, self._show_plugin_tools, self._error)

    def _show_plugin_tools(self, catalog: ToolCatalog) -> None:
        servers = {s.name for s in self.servers}
        box = self.ids.plugin_tools
        box.clear_widgets()
        for provider in catalog.providers:
            if provider.name in servers:
                continue
            for tool in provider.tools:
                box.add_widget(
                    make(
                        "McpToolLine",
                        name=tool.name + "  " + tr("(from {provider})").format(provider=provider.name),
                        description=tool.description,
                    )
                )
        if not box.children:
            box.add_widget(make("MutedLabel", text=tr("No plugin offers tools.")))

    # ---- add, edit ------------------------------------------------------------------
    def add_server(self) -> McpServerDialog:
        return self._open_editor(ServerForm())

    def edit_server(self, name: str) -> McpServerDialog | None:
        server = next((s for s in self.servers if s.name == name), None)
        return None if server is None else self._open_editor(form_of(server))

    def _open_editor(self, form: ServerForm) -> McpServerDialog:
        dialog = McpServerDialog(form=form, on_save=self._save)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _save(self, form: ServerForm) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        if form.editing:
            self.app.bridge.call(
                "mcp.update", update_params(form), McpServerInfo, self._saved, self._save_failed
            )
        else:
            self.app.bridge.call("mcp.add", add_params(form), McpAdded, self._added, self._save_failed)

    def _added(self, added: McpAdded) -> None:
        self._close_editor()
        self.note = (
            trn(
                "Added {name} with {count} tool.", "Added {name} with {count} tools.", len(added.tools)
            ).format(name=added.server.name, count=len(added.tools))
            if added.tools
            else tr("Added {name}.").format(name=added.server.name)
        )
        self.refresh()
        if added.tools:
            self.app.bridge.call(
                "mcp.list", Empty(), McpServerList, lambda r: self._tools_after(r, added), self._error
            )

    def _tools_after(self, listing: McpServerList, added: McpAdded) -> None:
        self._show(listing)
        self._update_card(added.server, added.tools)

    def _saved(self, server: McpServerInfo) -> None:
        self._close_editor()
        self.note = tr("Saved {name}.").format(name=server.name)
        self.refresh()

    def _save_failed(self, error: CommandError) -> None:
        if self.dialog is None:
            self._error(error)
            return
        fields = error.info.details.get("fields")
        if isinstance(fields, dict):
            self.dialog.show_errors({str(k): str(v) for k, v in fields.items()} | {"": error_text(error)})
        else:
            self.dialog.failed(error_text(error))

    def _close_editor(self) -> None:
        if self.dialog is not None:
            self.dialog.dismiss()
            self.dialog = None

    # ---- on/off, connect, remove ------------------------------------------------------
    def set_enabled(self, name: str, enabled: bool) -> None:
        server = next((s for s in self.servers if s.name == name), None)
        if server is None or server.enabled == enabled:
            return
        params = McpUpdateParams(name=name, enabled=enabled)
        self.app.bridge.call("mcp.update", params, McpServerInfo, self._update_card, self._error)

    def connect(self, name: str) -> None:
        card = self.cards.get(name)
        if card is not None:
            card.busy = True
            card.status = tr("connecting")
        self.app.bridge.call(
            "mcp.connect",
            McpNameParams(name=name),
            McpConnected,
            lambda r: self._update_card(r.server, r.tools),
            self._error,
        )

    def remove(self, name: str) -> None:
        ConfirmDialog(
            title=tr("Remove MCP server"),
            text=tr(
                "Remove {name}? Chats can no longer use its tools; its saved secrets are forgotten."
            ).format(name=name),
            confirm=tr("Remove"),
            on_confirm=lambda: self.app.bridge.call(
                "mcp.remove", McpNameParams(name=name), McpServerInfo, lambda _r: self.refresh(), self._error
            ),
        ).open()

    # ---- import ---------------------------------------------------------------------
    def open_import_menu(self, button: Any) -> None:
        make("ImportMenu", screen=self).open(button)

    def import_text(self) -> TextDialog:
        dialog = TextDialog(
            title=tr("Import MCP servers: paste the mcpServers JSON"),
            text="",
            multiline=True,
            on_submit=lambda text: self._import(McpImportParams(text=text)) if text.strip() else None,
        )
        dialog.open()
        return dialog

    def import_file(self) -> None:
        FileDialog(
            title=tr("Import the MCP servers of a JSON file"),
            filters=["*.json"],
            action=tr("Import"),
            on_pick=lambda path: self._import(McpImportParams(path=path)),
        ).open()

    def _import(self, params: McpImportParams) -> None:
        self.note = tr("Importing…")
        self.app.bridge.call("mcp.import", params, McpImported, self._imported, self._error)

    def _imported(self, result: McpImported) -> None:
        skipped = [(s.name, s.line, s.reason) for s in result.skipped]
        self.note = import_summary([s.name for s in result.added], skipped)
        self.refresh()

    def _error(self, error: CommandError) -> None:
        self.note = error_text(error)
        for card in self.cards.values():
            card.busy = False
        self.app.notify(error_text(error))
