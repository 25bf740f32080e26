"""remote.* commands: add, list and remove remote servers, and list their models."""

from __future__ import annotations

from pydantic import BaseModel, Field

from llamadesk.core.commands import CommandContext, CommandSpec
from llamadesk.core.models.base import CommandParams
from llamadesk.core.models.commands import Empty

from .client import OpenAIClient
from .directory import RemoteDirectory, RemoteFailure, RemoteModel
from .settings import RemoteServer


class RemoteAddParams(CommandParams):
    name: str = Field(description="Short name (lower-case letters, digits, - and _).")
    url: str = Field(description="Base URL of the server's OpenAI API, like http://gpubox:8080/v1.")
    api_key: str | None = Field(None, description="Bearer key the server expects.")
    check: bool = Field(True, description="Ask the server for its models first; fail if it does not answer.")


class RemoteNameParams(CommandParams):
    name: str


class RemoteInfo(BaseModel):
    name: str
    base_url: str
    has_key: bool = Field(description="A key is stored (it is never shown).")

    @classmethod
    def of(cls, remote: RemoteServer) -> RemoteInfo:
        return cls(name=remote.name, base_url=remote.base_url, has_key=bool(remote.api_key))


class RemoteAdded(BaseModel):
    remote: RemoteInfo
    models: list[RemoteModel] = Field(description="Its models, when checked.")


class RemoteList(BaseModel):
    remotes: list[RemoteInfo]


class RemoteModels(BaseModel):
    models: list[RemoteModel]
    failures: list[RemoteFailure] = Field(description="Remotes that could not be reached, and why.")


def remote_commands(directory: RemoteDirectory) -> list[CommandSpec]:
    def add(params: RemoteAddParams, ctx: CommandContext) -> RemoteAdded:
        directory.ensure_new(params.name)
        models: list[RemoteModel] = []
        if params.check:
            # A scratch entry is checked before anything is saved.
            probe = RemoteServer(name=params.name, base_url=params.url, api_key=params.api_key)
            cards = OpenAIClient(probe.base_url, probe.api_key, label=f"remote {params.name!r}").list_models()
            models = [
                RemoteModel(id=f"@{params.name}/{c.id}", remote=params.name, remote_model=c.id) for c in cards
            ]
        remote = directory.add(params.name, params.url, params.api_key)
        return RemoteAdded(remote=RemoteInfo.of(remote), models=models)

    def list_(params: Empty, ctx: CommandContext) -> RemoteList:
        return RemoteList(remotes=[RemoteInfo.of(r) for r in directory.remotes()])

    def remove(params: RemoteNameParams, ctx: CommandContext) -> RemoteInfo:
        return RemoteInfo.of(directory.remove(params.name))

    def models(params: Empty, ctx: CommandContext) -> RemoteModels:
        found, failures = directory.all_models()
        return RemoteModels(models=found, failures=failures)

    return [
        CommandSpec(
            id="remote.add",
            title="Add remote server",
            description="Save an OpenAI-compatible server (llama-server, vLLM, Ollama, LM Studio) "
            "whose models then appear as @NAME/MODEL.",
            params=RemoteAddParams,
            result=RemoteAdded,
            handler=add,
        ),
        CommandSpec(
            id="remote.list",
            title="Remote servers",
            description="The saved remote servers (keys are never shown).",
            params=Empty,
            result=RemoteList,
            handler=list_,
        ),
        CommandSpec(
            id="remote.remove",
            title="Remove remote server",
            description="Forget a remote server and its key.",
            params=RemoteNameParams,
            result=RemoteInfo,
            handler=remove,
        ),
        CommandSpec(
            id="remote.models",
            title="Remote models",
            description="Every remote server's models as @NAME/MODEL; unreachable servers are listed apart.",
            params=Empty,
            result=RemoteModels,
            handler=models,
        ),
    ]
