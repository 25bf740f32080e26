"""tools.* commands: the tools answers may call, and allowing or denying a waiting call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models.commands import Empty
from ..models.tools import ApproveParams, ApproveResult, ToolCatalog
from .context import CommandContext
from .spec import CommandSpec

if TYPE_CHECKING:
    from ..services.tools import ToolService


def tool_commands(tools: ToolService) -> list[CommandSpec]:
    def list_(params: Empty, ctx: CommandContext) -> ToolCatalog:
        return tools.describe()

    def approve(params: ApproveParams, ctx: CommandContext) -> ApproveResult:
        return ApproveResult(accepted=tools.approvals.decide(params.request_id, params.decision))

    return [
        CommandSpec(
            id="tools.list",
            title="Tools",
            description="Every tool provider (MCP servers, plugins) with its tools, named as models and "
            "chats see them (<provider>_<tool>).",
            params=Empty,
            result=ToolCatalog,
            handler=list_,
        ),
        CommandSpec(
            id="tools.approve",
            title="Allow or deny a tool call",
            description="Answer a call that waits for the user (a ToolApprovalEvent): once, always for "
            "this tool, or deny.",
            params=ApproveParams,
            result=ApproveResult,
            handler=approve,
        ),
    ]
