"""This plugin's settings (namespace `mcp`): the MCP servers whose tools a chat may use, the
time limits, and the commands `llamadesk mcp serve` offers to other agents."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from llamadesk.core.models.base import UserOptions
from llamadesk.core.models.mcp import NAME_PATTERN
from llamadesk.core.models.settings import SettingsSection

# Commands that read or generate. Nothing that deletes, overwrites or changes settings:
# an agent that drives llamadesk through `mcp serve` cannot lose the user's data.
DEFAULT_SERVE_COMMANDS: tuple[str, ...] = (
    "system.info",
    "models.list",
    "models.show",
    "models.pull",
    "runtime.status",
    "runtime.load",
    "runtime.generate",
    "chat.list",
    "chat.get",
    "chat.search",
    "chat.new",
    "chat.send",
)


class McpServer(UserOptions):
    """An MCP server: a program started over stdio, or an HTTP endpoint."""

    name: str = Field(
        pattern=NAME_PATTERN,
        description="Short unique name (letters, digits, - and _): its tools are offered as "
        "<name>_<tool>, and @name in a message means this server.",
    )
    transport: Literal["stdio", "http"] = Field(
        "stdio",
        description="stdio: start `command` and talk over its input and output; http: streamable HTTP.",
    )
    command: str | None = Field(None, description="stdio: the program to run, like npx or uvx.")
    args: list[str] = Field(default_factory=list, description="stdio: the program's arguments.")
    cwd: str | None = Field(None, description="stdio: the folder to run it in; empty: the app's own.")
    env: dict[str, str] = Field(
        default_factory=dict,
        description="stdio: environment variables for it, like API keys (never shown back in full).",
    )
    url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="http: the server's MCP endpoint, like http://127.0.0.1:8000/mcp.",
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="http: headers sent with every request, like Authorization (never shown back in full).",
    )
    enabled: bool = Field(True, description="Offer its tools; a disabled server is never started.")
    allowed_tools: list[str] = Field(
        default_factory=list, description="Only these of its tools are offered; empty offers all of them."
    )
    trusted: bool = Field(
        False, description="Its read-only tools run without asking; the others still ask every time."
    )

    @model_validator(mode="after")
    def _fits_transport(self) -> McpServer:
        if self.transport == "stdio" and not self.command:
            raise ValueError(f"the stdio server {self.name!r} needs a command")
        if self.transport == "http" and not self.url:
            raise ValueError(f"the http server {self.name!r} needs a url")
        return self

    def connection_key(self) -> tuple[object, ...]:
        """What the connection depends on: a change here means a new connection."""
        if self.transport == "http":
            return ("http", self.url, tuple(sorted(self.headers.items())))
        return ("stdio", self.command, tuple(self.args), self.cwd, tuple(sorted(self.env.items())))


class McpSettings(UserOptions):
    servers: list[McpServer] = Field(
        default_factory=list,
        description="MCP servers whose tools a chat may use (`llamadesk mcp add`, `llamadesk mcp import`).",
    )
    call_timeout_seconds: int = Field(
        120,
        ge=1,
        le=3600,
        description="The longest one tool call may take; the chat's own limit applies too.",
    )
    connect_timeout_seconds: int = Field(
        30, ge=1, le=600, description="How long a server may take to start and list its tools."
    )
    serve_commands: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SERVE_COMMANDS),
        description="The commands `llamadesk mcp serve` offers as MCP tools to other agents.",
    )

    @field_validator("servers")
    @classmethod
    def _unique_names(cls, servers: list[McpServer]) -> list[McpServer]:
        seen: set[str] = set()
        for server in servers:
            key = server.name.lower()  # @Git and @git would be the same mention
            if key in seen:
                raise ValueError(f"two MCP servers are named {server.name!r}")
            seen.add(key)
        return servers

    def find(self, name: str) -> McpServer | None:
        return next((s for s in self.servers if s.name.lower() == name.lower()), None)


SECTION = SettingsSection(
    namespace="mcp",
    model=McpSettings,
    title="MCP servers",
    description="Tools from Model Context Protocol servers, offered to the model in chats.",
)
