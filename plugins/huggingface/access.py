"""Where the hub is, who we are to it, and how we get there: endpoint, token, proxy.

Read at every call (not at import, as huggingface_hub reads HF_ENDPOINT), so a settings
change or a `hf auth login` takes effect without a restart. The token's value is
never put into a message or a log line: `redact()` scrubs any text that leaves here.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import httpx2
from huggingface_hub import get_token, set_client_factory

DEFAULT_ENDPOINT = "https://huggingface.co"
# A hub that accepts a connection but never answers must not hang the app.
TIMEOUT = httpx2.Timeout(60.0, connect=15.0)

_factory_lock = threading.Lock()
_factory_proxy: tuple[str | None] | None = None  # the proxy the current client was built for


@dataclass(frozen=True)
class HubAccess:
    endpoint: str
    proxy: str | None = None
    token: str | None = field(default=None, repr=False)

    @classmethod
    def resolve(cls, hf_endpoint: str | None, http_proxy: str | None) -> HubAccess:
        """Settings first, then HF_ENDPOINT; the token from HF_TOKEN or `hf auth login`'s file."""
        endpoint = hf_endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
        return cls(endpoint=endpoint.rstrip("/"), proxy=http_proxy or None, token=get_token())

    @property
    def web_host(self) -> str:
        """How a user names the endpoint in a message: huggingface.co, or the mirror's URL."""
        return "huggingface.co" if self.endpoint == DEFAULT_ENDPOINT else self.endpoint

    def repo_page(self, repo_id: str) -> str:
        return f"{self.endpoint}/{repo_id}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def redact(self, text: str) -> str:
        """`text` with the token's value replaced; every message built from hub errors passes here."""
        if self.token and self.token in text:
            text = text.replace(self.token, "hf_***")
        return text


def use_proxy(proxy: str | None) -> None:
    """Make huggingface_hub's shared HTTP client go through `proxy` (None: HTTP(S)_PROXY env).

    huggingface_hub keeps one client per process; it is rebuilt only when the proxy changes.
    """
    global _factory_proxy
    with _factory_lock:
        if _factory_proxy == (proxy,):
            return

        def make_client() -> httpx2.Client:
            # trust_env keeps HTTP(S)_PROXY / NO_PROXY working when no proxy is set here.
            return httpx2.Client(proxy=proxy, follow_redirects=True, timeout=TIMEOUT, trust_env=True)

        set_client_factory(make_client)
        _factory_proxy = (proxy,)
