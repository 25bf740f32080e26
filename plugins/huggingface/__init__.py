"""The Hugging Face source: search the hub, pick a quant that fits, pull into the model store.

Talks to the hub through huggingface_hub (endpoint, token and proxy resolved at each
call from the settings, HF_ENDPOINT, HF_TOKEN and `hf auth login`). huggingface_hub is
imported on first use, not when the plugin loads: it costs about a second of start-up
that every `llamadesk` command would pay.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from llamadesk.core.commands import CommandSpec
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.interfaces.plugin_context import PluginContext
from llamadesk.core.models.library import DiscoveredModel
from llamadesk.core.models.settings import SettingsSection

from .cache import cached_models
from .commands import hub_commands
from .settings import SECTION, HubSettings
from .source import HuggingFaceSource

if TYPE_CHECKING:
    from .browser import HubBrowser

_browsers: weakref.WeakKeyDictionary[PluginContext, HubBrowser] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def browser_getter(context: PluginContext) -> Callable[[], HubBrowser]:
    """A getter of the app's one browser (its header cache is shared by commands and pulls)."""

    def get() -> HubBrowser:
        with _lock:
            browser = _browsers.get(context)
            if browser is None:
                from .access import HubAccess
                from .browser import HubBrowser

                def access() -> HubAccess:
                    endpoint = context.settings(HubSettings).endpoint
                    return HubAccess.resolve(endpoint, context.app_settings.http_proxy)

                browser = HubBrowser(
                    access,
                    default_context=lambda: context.app_settings.load.context_size,
                    memory=context.memory,
                )
                _browsers[context] = browser
            return browser

    return get


@hookimpl(trylast=True)
def register_settings() -> SettingsSection:
    return SECTION


@hookimpl(trylast=True)
def register_commands(context: PluginContext) -> list[CommandSpec]:
    return hub_commands(browser_getter(context))


@hookimpl(trylast=True)
def register_model_sources(context: PluginContext) -> list[HuggingFaceSource]:
    return [HuggingFaceSource(browser_getter(context))]


@hookimpl(trylast=True)
def discover_local_models(context: PluginContext) -> list[DiscoveredModel]:
    return cached_models()
