"""A backend plugin whose models stream scripted tokens: `scripted/echo` answers with the
last user message, word by word; `scripted/tools` calls the tool it is offered, then says
what the tool answered. Tests install it the way a user installs a plugin."""

from __future__ import annotations

from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.interfaces.backend import Backend
from llamadesk.core.interfaces.plugin_context import PluginContext

from .backend import Script, ScriptedBackend, ScriptedModel

__all__ = ["Script", "ScriptedBackend", "ScriptedModel", "register_backends"]


@hookimpl
def register_backends(context: PluginContext) -> list[Backend]:
    return [ScriptedBackend(Script(models=["echo", "tools"]))]
