"""The two backends this plugin offers the runtime.

- `RemoteBackend`: models of remote OpenAI-compatible servers, named @REMOTE/MODEL.
  Loading one only checks that its server answers; the server holds the weights.
- `LlamaServerBackend`: a local GGUF run by the user's own llama-server binary, one
  process per loaded model.

Both generate through `OpenAIClient.chat`, so streaming, stop, usage and timings
behave the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from llamadesk.core.commands import CancelToken
from llamadesk.core.errors import NotFound
from llamadesk.core.models.commands import TokenEvent
from llamadesk.core.models.llama import GenerateRequest, GenerationResult, LoadOptions
from llamadesk.core.services.config import ConfigService

from .client import OpenAIClient
from .directory import RemoteDirectory
from .llama_server import LlamaServerProcess


class RemoteModelSession:
    """A "loaded" remote model: a client and the model's id on its server."""

    def __init__(self, client: OpenAIClient, remote_model: str) -> None:
        self.client = client
        self.remote_model = remote_model

    def generate(
        self, request: GenerateRequest, on_event: Callable[[TokenEvent], None], token: CancelToken
    ) -> GenerationResult:
        return self.client.chat(request, self.remote_model, on_event, token)

    def close(self) -> None:
        """Nothing runs here; the remote server keeps its model."""


class RemoteBackend:
    name = "openai_remote"

    def __init__(self, directory: RemoteDirectory) -> None:
        self.directory = directory

    def accepts(self, model_id: str) -> bool:
        return self.directory.find(model_id) is not None

    def open(self, model_id: str) -> RemoteModelSession:
        found = self.directory.find(model_id)
        if found is None:
            raise NotFound(f"{model_id!r} is not a model of a saved remote; see `llamadesk remote models`")
        client = self.directory.client(found.remote)
        client.list_models()  # fails now, with a clear message, if the server is down or the key wrong
        return RemoteModelSession(client, found.remote_model)


class LlamaServerSession:
    """A GGUF served by its own llama-server process."""

    def __init__(self, process: LlamaServerProcess) -> None:
        self.process = process

    def generate(
        self, request: GenerateRequest, on_event: Callable[[TokenEvent], None], token: CancelToken
    ) -> GenerationResult:
        return self.process.client.chat(request, "default", on_event, token)

    def close(self) -> None:
        self.process.stop()


class LlamaServerBackend:
    name = "llama_server"

    def __init__(self, config: ConfigService, logs_dir: Path) -> None:
        self.config = config
        self.logs_dir = logs_dir

    @property
    def enabled(self) -> bool:
        return self.config.config.llama_server.binary is not None

    def open(self, model_id: str, path: Path, options: LoadOptions) -> LlamaServerSession:
        log_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_id).strip("_") or "model"
        process = LlamaServerProcess(
            self.config.config.llama_server, path, options, self.logs_dir / f"llama-server-{log_name}.log"
        )
        return LlamaServerSession(process)
