"""The params and results of the mcp.* commands (served by the default plugin `plugins/mcp`).

They live here, not in the plugin, so the window's MCP screen builds params and reads results
as typed models (the UI imports only the command table and models). Secrets are masked in
every result: the plugin fills them in.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from .base import CommandParams

# Letters, digits, - and _: the name prefixes its tools' names (`<name>_<tool>`) and is what
# `@name` in a message means, so it stays short and plain.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"

# --- params ---------------------------------------------------------------------------


class McpAddParams(CommandParams):
    name: str = Field(pattern=NAME_PATTERN, description="Short unique name (letters, digits, - and _).")
    transport: Literal["stdio", "http"] | None = Field(
        None, description="stdio or http; empty: http when a url is given, else stdio."
    )
    command: str | None = Field(None, description="stdio: the program to run, like npx or uvx.")
    args: list[str] = Field(default_factory=list, description="stdio: its arguments.")
    cwd: str | None = Field(None, description="stdio: the folder to run it in.")
    env: dict[str, str] = Field(default_factory=dict, description="stdio: environment variables for it.")
    url: str | None = Field(None, description="http: the server's MCP endpoint.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="http: headers sent with every request."
    )
    enabled: bool = Field(True, description="Offer its tools.")
    allowed_tools: list[str] = Field(default_factory=list, description="Only these tools; empty: all.")
    trusted: bool = Field(False, description="Its read-only tools run without asking.")
    check: bool = Field(
        True, description="Start it and list its tools first; nothing is saved if that fails."
    )


class McpUpdateParams(CommandParams):
    """Fields left out (null) keep their value. A secret sent back as `mcp.list` showed it
    (masked) keeps the stored value."""

    name: str = Field(description="The server to change.")
    transport: Literal["stdio", "http"] | None = None
    command: str | None = None
    args: list[str] | None = None
    cwd: str | None = None
    env: dict[str, str] | None = Field(None, description="Replaces all its environment variables.")
    url: str | None = None
    headers: dict[str, str] | None = Field(None, description="Replaces all its headers.")
    enabled: bool | None = None
    allowed_tools: list[str] | None = None
    trusted: bool | None = None


class McpNameParams(CommandParams):
    name: str = Field(description="The server's name.")


class McpImportParams(CommandParams):
    text: str | None = Field(None, description='The JSON itself: {"mcpServers": {...}}.')
    path: str | None = Field(None, description="Or a file holding it, like claude_desktop_config.json.")
    replace: bool = Field(False, description="Replace servers of the same name instead of skipping them.")

    @model_validator(mode="after")
    def _one_source(self) -> McpImportParams:
        if (self.text is None) == (self.path is None):
            raise ValueError("give either text or path")
        return self


class McpServeParams(CommandParams):
    commands: list[str] | None = Field(
        None, description="The command ids to offer as tools; empty: the mcp.serve_commands setting."
    )


# --- results --------------------------------------------------------------------------


class McpServerInfo(BaseModel):
    name: str
    transport: Literal["stdio", "http"]
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict, description="Values masked.")
    url: str | None = Field(None, description="A password or key in it is masked.")
    headers: dict[str, str] = Field(default_factory=dict, description="Values masked.")
    enabled: bool
    trusted: bool
    allowed_tools: list[str]
    state: str = Field(description="connected, connecting, failed, disabled or not connected.")
    status: str = Field(description="The state in words: `failed: <reason>` says why.")
    error: str | None = Field(None, description="Why it failed, when it did.")
    reason_template: str | None = Field(
        None, description="Why it failed, as a template of the window's catalog (`{name}` placeholders)."
    )
    reason_values: dict[str, Any] = Field(default_factory=dict, description="What fills reason_template.")
    said: str = Field("", description="The last lines the server wrote to its stderr, when it failed.")
    server_info: str | None = Field(None, description="The server's own name and version.")
    tool_count: int | None = Field(None, description="Tools it offers (allowed ones), once listed.")


class McpServerList(BaseModel):
    servers: list[McpServerInfo]


class McpToolInfo(BaseModel):
    name: str = Field(description="The tool's own name; the model sees it as <server>_<name>.")
    description: str
    read_only: bool = Field(description="The server says it changes nothing.")
    allowed: bool = Field(description="Offered to the model (allowed_tools is empty or names it).")
    parameters: dict[str, Any] = Field(description="JSON schema of its arguments.")


class McpResourceInfo(BaseModel):
    uri: str
    name: str
    description: str = ""
    mime_type: str | None = None


class McpConnected(BaseModel):
    server: McpServerInfo
    tools: list[McpToolInfo]


class McpServerTools(BaseModel):
    server: McpServerInfo
    tools: list[McpToolInfo]
    resources: list[McpResourceInfo]


class McpAdded(BaseModel):
    server: McpServerInfo
    tools: list[McpToolInfo] = Field(description="Its tools, when it was checked.")


class McpSkipped(BaseModel):
    name: str
    line: int | None = Field(None, description="Where its entry starts in the imported JSON.")
    reason: str


class McpImported(BaseModel):
    added: list[McpServerInfo]
    skipped: list[McpSkipped]


class McpServed(BaseModel):
    tools: list[str] = Field(description="The MCP tools that were offered.")
    calls: int = Field(description="Tool calls answered.")
