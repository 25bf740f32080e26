"""The mcp.* commands' results as the plugin builds them: from a saved server and its
connection's status, secrets masked. The params and result models themselves are in
`llamadesk.core.models.mcp`, where the window reads them too."""

from __future__ import annotations

from llamadesk.core.models.mcp import McpAddParams, McpServerInfo

from .masking import mask_url, mask_values
from .settings import McpServer
from .status import ConnectionStatus


def server_of(params: McpAddParams) -> McpServer:
    """The server `mcp.add` saves: http when a url is given and no transport is named."""
    transport = params.transport or ("http" if params.url else "stdio")
    fields = params.model_dump(exclude={"check", "transport"})
    return McpServer.model_validate({**fields, "transport": transport})


def server_info(server: McpServer, status: ConnectionStatus) -> McpServerInfo:
    """A server as every command shows it: its settings, secrets masked, and its status."""
    allowed = [t for t in status.tools if not server.allowed_tools or t.name in server.allowed_tools]
    return McpServerInfo(
        name=server.name,
        transport=server.transport,
        command=server.command,
        args=list(server.args),
        cwd=server.cwd,
        env=mask_values(server.env),
        url=mask_url(server.url),
        headers=mask_values(server.headers),
        enabled=server.enabled,
        trusted=server.trusted,
        allowed_tools=list(server.allowed_tools),
        state=status.state.value,
        status=status.words,
        error=status.error,
        reason_template=status.reason.template if status.reason else None,
        reason_values=dict(status.reason.values) if status.reason else {},
        said=status.said,
        server_info=status.server_info,
        tool_count=len(allowed) if status.listed else None,
    )
