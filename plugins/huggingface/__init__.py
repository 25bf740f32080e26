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

from .commands import hub_commands
from .source import HuggingFaceSource

if TYPE_CHECKING:
    from llamadesk.core.app import App

    from .browser import HubBrowser

_browsers: weakref.WeakKeyDictionary[App, HubBrowser] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def browser_getter(app: App) -> Callable[[], HubBrowser]:
    """A getter of the app's one browser (its header cache is shared by commands and pulls)."""

    def get() -> HubBrowser:
        with _lock:
            browser = _browsers.get(app)
            if browser is None:
                from .access import HubAccess
                from .browser import HubBrowser

                def access() -> HubAccess:
                    settings = app.config.config
                    return HubAccess.resolve(settings.hf_endpoint, settings.http_proxy)

                browser = HubBrowser(access, default_context=lambda: app.config.config.load.context_size)
                _browsers[app] = browser
            return browser

    return get


@hookimpl(trylast=True)
def register_commands(app: App) -> list[CommandSpec]:
    return hub_commands(browser_getter(app))


@hookimpl(trylast=True)
def register_model_sources(app: App) -> list[HuggingFaceSource]:
    return [HuggingFaceSource(browser_getter(app))]
