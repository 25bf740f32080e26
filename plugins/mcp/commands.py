"""mcp.* commands: add, change, remove, list and connect servers, list their tools, import a
Claude Desktop / Cursor / LM Studio config, and serve llamadesk itself over MCP."""

from __future__ import annotations

from pathlib import Path

from llamadesk.core.commands import CommandContext, CommandSpec
from llamadesk.core.errors import N_, AlreadyExists, InvalidParams, NotFound, Unavailable
from llamadesk.core.interfaces.plugin_context import PluginContext
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.mcp import (
    McpAdded,
    McpAddParams,
    McpConnected,
    McpImported,
    McpImportParams,
    McpNameParams,
    McpServed,
    McpServeParams,
    McpServerInfo,
    McpServerList,
    McpServerTools,
    McpSkipped,
    McpToolInfo,
    McpUpdateParams,
)

from .connections import McpConnections
from .import_config import Entry, parse_servers
from .masking import keep_masked
from .results import server_info, server_of
from .settings import McpServer
from .status import ConnectionState, ConnectionStatus


def tool_infos(server: McpServer, status: ConnectionStatus) -> list[McpToolInfo]:
    return [
        McpToolInfo(
            name=tool.name,
            description=tool.description,
            read_only=tool.read_only,
            allowed=not server.allowed_tools or tool.name in server.allowed_tools,
            parameters=tool.parameters,
        )
        for tool in status.tools
    ]


def mcp_commands(context: PluginContext, connections: McpConnections) -> list[CommandSpec]:
    def info(server: McpServer) -> McpServerInfo:
        return server_info(server, connections.status(server))

    def add(params: McpAddParams, ctx: CommandContext) -> McpAdded:
        connections.ensure_new(params.name)
        server = server_of(params)
        tools: list[McpToolInfo] = []
        probe = None
        if params.check and server.enabled:
            # Started before anything is saved; kept as the server's connection once saved.
            probe = connections.detached(server)
            status = connections.probe(probe)
            if status.state is not ConnectionState.CONNECTED:
                connections.retire(probe)
                raise Unavailable(
                    N_(
                        "the MCP server {name!r} does not work: {error}; nothing was saved (add it without "
                        "the check to save it anyway)"
                    ),
                    name=server.name,
                    error=status.error,
                )
            tools = tool_infos(server, status)
        with connections.editing:
            try:
                connections.ensure_new(params.name)  # again: another add may have won meanwhile
            except AlreadyExists:
                if probe is not None:
                    connections.retire(probe)
                raise
            connections.save([*connections.servers(), server])
        if probe is not None:
            connections.adopt(probe)
        return McpAdded(server=info(server), tools=tools)

    def update(params: McpUpdateParams, ctx: CommandContext) -> McpServerInfo:
        with connections.editing:
            current = connections.get(params.name)
            changes = params.model_dump(exclude={"name"}, exclude_none=True)
            if "env" in changes:
                changes["env"] = keep_masked(changes["env"], current.env)
            if "headers" in changes:
                changes["headers"] = keep_masked(changes["headers"], current.headers)
            changed = McpServer.model_validate({**current.model_dump(), **changes})
            connections.save([changed if s.name == current.name else s for s in connections.servers()])
        return info(changed)

    def remove(params: McpNameParams, ctx: CommandContext) -> McpServerInfo:
        with connections.editing:
            removed = connections.get(params.name)
            shown = server_info(removed, connections.status(removed))
            connections.save([s for s in connections.servers() if s.name != removed.name])
        return shown

    def list_(params: Empty, ctx: CommandContext) -> McpServerList:
        return McpServerList(servers=[info(server) for server in connections.servers()])

    def connect(params: McpNameParams, ctx: CommandContext) -> McpConnected:
        server = _enabled(connections.get(params.name))
        status = connections.connect(server, again=True)
        return McpConnected(server=server_info(server, status), tools=tool_infos(server, status))

    def tools(params: McpNameParams, ctx: CommandContext) -> McpServerTools:
        server = _enabled(connections.get(params.name))
        status = connections.connect(server)
        if status.state is not ConnectionState.CONNECTED:
            raise Unavailable(
                N_("the MCP server {name!r} is not available: {error}"),
                name=server.name,
                error=status.error or status.words,
            )
        resources = connections.resources(server)
        return McpServerTools(
            server=server_info(server, status), tools=tool_infos(server, status), resources=resources
        )

    def import_(params: McpImportParams, ctx: CommandContext) -> McpImported:
        if params.path is not None:
            path = Path(params.path).expanduser()
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise NotFound(N_("no file {path}"), path=path) from None
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidParams(N_("cannot read {path}: {error}"), path=path, error=exc) from None
            source = str(path)
        else:
            text, source = params.text or "", "the text"
        entries = parse_servers(text, source)
        with connections.editing:
            added, skipped = _merge(connections, entries, params.replace)
        return McpImported(added=[info(server) for server in added], skipped=skipped)

    def serve(params: McpServeParams, ctx: CommandContext) -> McpServed:
        from .serve import serve_stdio  # the SDK's server, only when serving

        ids = params.commands if params.commands is not None else connections.settings().serve_commands
        return serve_stdio(context.commands, list(ids), ctx.token)

    return [
        CommandSpec(
            id="mcp.add",
            title="Add MCP server",
            description="Save an MCP server (a program over stdio, or a streamable HTTP URL) whose tools "
            "chats may use. It is started and its tools listed first, unless check is false.",
            params=McpAddParams,
            result=McpAdded,
            handler=add,
        ),
        CommandSpec(
            id="mcp.update",
            title="Change MCP server",
            description="Change some of a server's settings; it reconnects when its command, URL, "
            "environment or headers change.",
            params=McpUpdateParams,
            result=McpServerInfo,
            handler=update,
        ),
        CommandSpec(
            id="mcp.remove",
            title="Remove MCP server",
            description="Forget an MCP server and its secrets; its process is stopped.",
            params=McpNameParams,
            result=McpServerInfo,
            handler=remove,
        ),
        CommandSpec(
            id="mcp.list",
            title="MCP servers",
            description="The saved MCP servers with their status (secrets masked); connects nothing.",
            params=Empty,
            result=McpServerList,
            handler=list_,
        ),
        CommandSpec(
            id="mcp.connect",
            title="Connect MCP server",
            description="Connect to a server, or reconnect, and list its tools; the status says why it "
            "failed, if it did.",
            params=McpNameParams,
            result=McpConnected,
            handler=connect,
        ),
        CommandSpec(
            id="mcp.tools",
            title="MCP server tools",
            description="A server's tools (with whether each is allowed) and resources; connects if needed.",
            params=McpNameParams,
            result=McpServerTools,
            handler=tools,
        ),
        CommandSpec(
            id="mcp.import",
            title="Import MCP servers",
            description='Add the servers of an {"mcpServers": ...} JSON as Claude Desktop, Cursor or '
            "LM Studio write it, given as text or a file; says what was skipped and why.",
            params=McpImportParams,
            result=McpImported,
            handler=import_,
        ),
        CommandSpec(
            id="mcp.serve",
            title="Serve llamadesk over MCP",
            description="Serve the commands of the mcp.serve_commands setting as MCP tools over this "
            "process's standard input and output, until the input ends (`llamadesk mcp serve`).",
            params=McpServeParams,
            result=McpServed,
            handler=serve,
            streaming=True,
        ),
    ]


def _enabled(server: McpServer) -> McpServer:
    if not server.enabled:
        raise Unavailable(N_("the MCP server {name!r} is disabled; enable it first"), name=server.name)
    return server


def _merge(
    connections: McpConnections, entries: list[Entry], replace: bool
) -> tuple[list[McpServer], list[McpSkipped]]:
    """Save the imported servers that can be; say why the others were not."""
    servers = connections.servers()
    added: list[McpServer] = []
    skipped: list[McpSkipped] = []
    for entry in entries:
        if entry.server is None:
            skipped.append(McpSkipped(name=entry.name, line=entry.line, reason=entry.reason))
            continue
        key = entry.name.lower()
        if any(s.name.lower() == key for s in added):
            reason = f"another entry of the file is named {entry.name!r}"
            skipped.append(McpSkipped(name=entry.name, line=entry.line, reason=reason))
            continue
        taken = [s for s in servers if s.name.lower() == key]
        if taken and not replace:
            reason = f"a server named {entry.name!r} exists (import with replace to overwrite it)"
            skipped.append(McpSkipped(name=entry.name, line=entry.line, reason=reason))
            continue
        servers = [s for s in servers if s not in taken] + [entry.server]
        added.append(entry.server)
    if added:
        connections.save(servers)
    return added, skipped
