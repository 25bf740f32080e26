"""The configured remote servers and their models, named `@REMOTE/MODEL` in this app.

The `@` keeps remote ids apart from library references (`hf.co/...`, `llama3:8b`),
which never start with it. Model lists are cached for a few seconds: /v1/models and
every request's model lookup ask for them.
"""

from __future__ import annotations

import threading
import time

from pydantic import BaseModel, Field

from llamadesk.core.errors import N_, AlreadyExists, LlamadeskError, NotFound
from llamadesk.core.interfaces.plugin_context import PluginContext

from .client import OpenAIClient, normalize_base_url
from .settings import RemoteServer, RemoteSettings

PREFIX = "@"
CACHE_SECONDS = 10.0


class RemoteModel(BaseModel):
    id: str = Field(description="The id to use in this app: @REMOTE/MODEL.")
    remote: str
    remote_model: str = Field(description="The model's id on its server.")


class RemoteFailure(BaseModel):
    remote: str
    error: str


def split_id(model_id: str) -> tuple[str, str] | None:
    """`@gpubox/llama3:8b` -> ("gpubox", "llama3:8b"); None for anything else."""
    if not model_id.startswith(PREFIX) or "/" not in model_id:
        return None
    remote, model = model_id[len(PREFIX) :].split("/", 1)
    return (remote, model) if remote and model else None


class RemoteDirectory:
    def __init__(self, context: PluginContext) -> None:
        self._context = context
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, list[RemoteModel] | LlamadeskError]] = {}

    def remotes(self) -> list[RemoteServer]:
        return list(self._context.settings(RemoteSettings).servers)

    def get(self, name: str) -> RemoteServer:
        for remote in self.remotes():
            if remote.name == name:
                return remote
        raise NotFound(N_("no remote named {name!r}; see `llamadesk remote list`"), name=name)

    def client(self, name: str) -> OpenAIClient:
        remote = self.get(name)
        return OpenAIClient(remote.base_url, remote.api_key, label=f"remote {name!r}")

    def ensure_new(self, name: str) -> None:
        if any(remote.name == name for remote in self.remotes()):
            raise AlreadyExists(N_("a remote named {name!r} exists; remove it first"), name=name)

    def add(self, name: str, url: str, api_key: str | None) -> RemoteServer:
        self.ensure_new(name)
        entry = {"name": name, "base_url": normalize_base_url(url), "api_key": api_key}
        remotes = [remote.model_dump(mode="json") for remote in self.remotes()]
        self._context.update_settings(RemoteSettings, {"servers": [*remotes, entry]})
        return self.get(name)

    def remove(self, name: str) -> RemoteServer:
        removed = self.get(name)
        remaining = [r.model_dump(mode="json") for r in self.remotes() if r.name != name]
        self._context.update_settings(RemoteSettings, {"servers": remaining})
        with self._lock:
            self._cache.pop(name, None)
        return removed

    def models_of(self, name: str, fresh: bool = False) -> list[RemoteModel]:
        """A remote's models. Failures are cached too: a server that does not answer
        must not stall every model listing for its connect timeout."""
        with self._lock:
            cached = self._cache.get(name)
        if cached and not fresh and time.monotonic() - cached[0] < CACHE_SECONDS:
            if isinstance(cached[1], LlamadeskError):
                raise cached[1]
            return cached[1]
        try:
            cards = self.client(name).list_models()
        except LlamadeskError as exc:
            with self._lock:
                self._cache[name] = (time.monotonic(), exc)
            raise
        models = [
            RemoteModel(id=f"{PREFIX}{name}/{card.id}", remote=name, remote_model=card.id) for card in cards
        ]
        with self._lock:
            self._cache[name] = (time.monotonic(), models)
        return models

    def all_models(self) -> tuple[list[RemoteModel], list[RemoteFailure]]:
        """Every remote's models; a remote that cannot be reached is reported, not fatal."""
        models: list[RemoteModel] = []
        failures: list[RemoteFailure] = []
        for remote in self.remotes():
            try:
                models += self.models_of(remote.name)
            except LlamadeskError as exc:
                failures.append(RemoteFailure(remote=remote.name, error=exc.message))
        return models, failures

    def find(self, model_id: str) -> RemoteModel | None:
        parts = split_id(model_id)
        if parts is None or parts[0] not in {r.name for r in self.remotes()}:
            return None
        return RemoteModel(id=model_id, remote=parts[0], remote_model=parts[1])
