"""The built-in inference backend: llama.cpp through llama-cpp-python.

Each loaded model runs in its own worker process (`worker.py`), so a crash or
an out-of-memory kill there ends that model, not the app. With llama.cpp's RPC
backend a model's layers can also live on other machines (`rpc_*.py`, the `rpc.*`
commands, docs/distributed.md). `trylast`: an installed backend plugin is asked first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.models.settings import SettingsSection

from .settings import SECTION, LlamaCppSettings

PROMPT_CACHE_FOLDER = "prompt-cache"  # under the data folder: conversations' saved KV states

if TYPE_CHECKING:
    from llamadesk.core.commands import CommandSpec
    from llamadesk.core.interfaces.backend import Backend
    from llamadesk.core.interfaces.plugin_context import PluginContext


@hookimpl(trylast=True)
def register_settings() -> SettingsSection:
    return SECTION


@hookimpl(trylast=True)
def register_commands(context: PluginContext) -> list[CommandSpec]:
    from .rpc_commands import rpc_commands

    return rpc_commands(context)


@hookimpl(trylast=True)
def register_backends(context: PluginContext) -> list[Backend]:
    from .backend import LlamaCppBackend  # imported on use: it starts the worker processes
    from .messages import WorkerPromptCache

    def prompt_cache() -> WorkerPromptCache | None:
        megabytes = context.settings(LlamaCppSettings).prompt_cache_mb
        if not megabytes:
            return None
        folder = context.paths.data_dir / PROMPT_CACHE_FOLDER
        return WorkerPromptCache(folder=str(folder), max_bytes=megabytes * 1024 * 1024)

    return [LlamaCppBackend(lambda: context.settings(LlamaCppSettings).rpc_workers, prompt_cache)]
