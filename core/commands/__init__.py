"""The command table and everything a command declaration needs.

UI, CLI and API import from here (and from `llamadesk.core.models`) and nothing else.
"""

from .context import CancelToken, CommandContext
from .spec import CommandSpec
from .table import CommandError, CommandTable, RunningCommand

__all__ = [
    "CancelToken",
    "CommandContext",
    "CommandError",
    "CommandSpec",
    "CommandTable",
    "RunningCommand",
]
