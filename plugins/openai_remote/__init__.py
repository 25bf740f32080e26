"""Remote backends: models of OpenAI-compatible servers elsewhere (`remote.*` commands), and
an external llama-server binary the user chose, started per model.
"""

from __future__ import annotations

import weakref

from llamadesk.core.commands import CommandSpec
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.interfaces.backend import Backend
from llamadesk.core.interfaces.plugin_context import PluginContext
from llamadesk.core.models.settings import SettingsSection

from .backends import LlamaServerBackend, RemoteBackend
from .commands import remote_commands
from .directory import RemoteDirectory
from .settings import SECTION, RemoteSettings

_directories: weakref.WeakKeyDictionary[PluginContext, RemoteDirectory] = weakref.WeakKeyDictionary()


def directory_for(context: PluginContext) -> RemoteDirectory:
    return _directories.setdefault(context, RemoteDirectory(context))


@hookimpl(trylast=True)
def register_settings() -> SettingsSection:
    return SECTION


@hookimpl(trylast=True)
def register_commands(context: PluginContext) -> list[CommandSpec]:
    return remote_commands(directory_for(context))


# Not trylast: these backends take only what the user pointed them at (an @REMOTE id,
# or every GGUF once a llama-server binary is set), so they are asked before the
# built-in llama.cpp backend. Installed plugins still come first.
@hookimpl
def register_backends(context: PluginContext) -> list[Backend]:
    llama_server = LlamaServerBackend(
        lambda: context.settings(RemoteSettings).llama_server, context.paths.logs_dir
    )
    return [RemoteBackend(directory_for(context)), llama_server]
