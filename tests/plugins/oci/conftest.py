"""A real docker-registry for the whole session, holding the starter model in Ollama and Docker form."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .registry_server import OCI_MANIFEST, RegistryServer, docker_model, ollama_model


@dataclass
class Registry:
    server: RegistryServer
    gguf: Path

    @property
    def host(self) -> str:
        return self.server.host

    def ref(self, repository: str, tag: str = "latest") -> str:
        return f"{self.host}/{repository}:{tag}"


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory, starter_model: Path) -> Iterator[Registry]:
    """`library/smollm2:latest` and `:second` (Ollama form, sharing every blob), `ai/smollm2:latest`
    (Docker model artifact, OCI manifest)."""
    with RegistryServer(tmp_path_factory.mktemp("registry")) as server:
        config, layers = ollama_model(starter_model)
        server.push_model("library/smollm2", "latest", config, layers)
        server.push_model("library/smollm2", "second", config, layers)
        config, layers = docker_model(starter_model)
        server.push_model("ai/smollm2", "latest", config, layers, OCI_MANIFEST)
        yield Registry(server, starter_model)
