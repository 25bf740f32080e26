"""The built-in inference backend: llama.cpp through llama-cpp-python.

Each loaded model runs in its own worker process (`worker.py`), so a crash or
an out-of-memory kill there ends that model, not the app. `trylast`: an
installed backend plugin is asked first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llamadesk.core.hookspecs import hookimpl

if TYPE_CHECKING:
    from llamadesk.core.interfaces.backend import Backend
    from llamadesk.core.interfaces.plugin_context import PluginContext


@hookimpl(trylast=True)
def register_backends(context: PluginContext) -> list[Backend]:
    from .backend import LlamaCppBackend  # imported on use: llama_cpp loads numpy and a large library

    return [LlamaCppBackend()]
