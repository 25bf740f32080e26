"""Remote backends: models of OpenAI-compatible servers elsewhere (`remote.*` commands), and
an external llama-server binary the user chose, started per model.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from llamadesk.core.commands import CommandSpec
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.interfaces.backend import Backend

from .backends import LlamaServerBackend, RemoteBackend
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


# Not trylast: these backends take only what the user pointed them at (an @REMOTE id,
# or every GGUF once a llama-server binary is set), so they are asked before the
# built-in llama.cpp backend. Installed plugins still come first.
@hookimpl
def register_backends(app: App) -> list[Backend]:
    return [RemoteBackend(directory_for(app)), LlamaServerBackend(app.config, app.paths.logs_dir)]
