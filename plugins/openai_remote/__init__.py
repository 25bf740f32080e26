"""Remote backends: models of OpenAI-compatible servers elsewhere (`remote.*` commands), and
an external llama-server binary the user chose, started per model.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from llamadesk.core.commands import CommandSpec
from llamadesk.core.hookspecs import hookimpl

from .commands import remote_commands
from .directory import RemoteDirectory

if TYPE_CHECKING:
    from llamadesk.core.app import App

_directories: weakref.WeakKeyDictionary[App, RemoteDirectory] = weakref.WeakKeyDictionary()


def directory_for(app: App) -> RemoteDirectory:
    return _directories.setdefault(app, RemoteDirectory(app.config))


@hookimpl(trylast=True)
def register_commands(app: App) -> list[CommandSpec]:
    return remote_commands(directory_for(app))
