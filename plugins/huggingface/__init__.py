"""The Hugging Face source: search the hub, pick a quant that fits, pull into the model store.

Talks to the hub through huggingface_hub (endpoint, token and proxy resolved at each
call from the settings, HF_ENDPOINT, HF_TOKEN and `hf auth login`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llamadesk.core.commands import CommandSpec
from llamadesk.core.hookspecs import hookimpl

from .access import HubAccess
from .browser import HubBrowser
from .commands import hub_commands
from .source import HuggingFaceSource

if TYPE_CHECKING:
    from llamadesk.core.app import App


def browser_for(app: App) -> HubBrowser:
    def access() -> HubAccess:
        settings = app.config.config
        return HubAccess.resolve(settings.hf_endpoint, settings.http_proxy)

    return HubBrowser(access, default_context=lambda: app.config.config.load.context_size)


@hookimpl(trylast=True)
def register_commands(app: App) -> list[CommandSpec]:
    return hub_commands(browser_for(app))


@hookimpl(trylast=True)
def register_model_sources(app: App) -> list[HuggingFaceSource]:
    return [HuggingFaceSource(browser_for(app))]
