"""models.* commands: thin translations onto `app.library` (core/services/library.py)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ..hookspecs import hookimpl
from ..models.base import UserOptions
from ..models.commands import Empty
from ..models.library import (
    DiskUsage,
    ImportResult,
    ModelDetails,
    ModelList,
    ModelSummary,
    PullResult,
    PushResult,
    RemoveResult,
)
from .context import CommandContext
from .spec import CommandSpec, Handler

if TYPE_CHECKING:
    from ..app import App

REFERENCE_HELP = "A model reference: smollm2, smollm2:135m, ai/smollm2, localhost:5000/team/model:tag, hf.co/user/repo:Q4_K_M."


class ReferenceParams(UserOptions):
    reference: str = Field(description=REFERENCE_HELP)


class ListParams(UserOptions):
    discover: bool = Field(
        True, description="Also list GGUFs found in the Hugging Face cache and LM Studio's folder."
    )


class ImportParams(UserOptions):
    path: str = Field(description="A GGUF file (for a split model, its first shard).")
    name: str | None = Field(None, description="Reference to import it under; default from the file name.")
    in_place: bool = Field(
        False, description="Use the file where it is instead of copying it into the store."
    )


class CopyParams(UserOptions):
    source: str = Field(description="The model to copy. " + REFERENCE_HELP)
    target: str = Field(description="The new reference, e.g. localhost:5000/team/model:tag before a push.")


class CancelResult(BaseModel):
    cancelled: bool = Field(description="False when no pull of that reference was running.")


@hookimpl(tryfirst=True)
def register_commands(app: App) -> list[CommandSpec]:
    library = app.library

    def list_models(params: ListParams, ctx: CommandContext) -> ModelList:
        return library.list_models(discover=params.discover)

    def show(params: ReferenceParams, ctx: CommandContext) -> ModelDetails:
        return library.show(params.reference)

    def pull(params: ReferenceParams, ctx: CommandContext) -> PullResult:
        return library.pull(params.reference, on_progress=ctx.emit, cancel=_cancel_event(ctx))

    def cancel(params: ReferenceParams, ctx: CommandContext) -> CancelResult:
        return CancelResult(cancelled=library.cancel(params.reference))

    def remove(params: ReferenceParams, ctx: CommandContext) -> RemoveResult:
        return library.remove(params.reference)

    def copy(params: CopyParams, ctx: CommandContext) -> ModelSummary:
        return library.copy(params.source, params.target)

    def import_model(params: ImportParams, ctx: CommandContext) -> ImportResult:
        return library.import_file(
            params.path,
            name=params.name,
            in_place=params.in_place,
            on_progress=ctx.emit,
            cancel=_cancel_event(ctx),
        )

    def push(params: ReferenceParams, ctx: CommandContext) -> PushResult:
        return library.push(params.reference, on_progress=ctx.emit, cancel=_cancel_event(ctx))

    def disk_usage(params: Empty, ctx: CommandContext) -> DiskUsage:
        return library.disk_usage()

    def spec(
        id: str,
        title: str,
        description: str,
        params: type[BaseModel],
        result: type[BaseModel],
        handler: Handler,
        streaming: bool = False,
    ) -> CommandSpec:
        return CommandSpec(
            id=id,
            title=title,
            description=description,
            params=params,
            result=result,
            handler=handler,
            streaming=streaming,
        )

    return [
        spec("models.list", "Models", "Models in the library, and GGUFs on this machine that can be imported.", ListParams, ModelList, list_models),
        spec("models.show", "Model details", "A model's manifest, layers, GGUF metadata and size.", ReferenceParams, ModelDetails, show),
        spec("models.pull", "Pull a model", "Download a model from its registry or hub; resumes, verifies, streams progress.", ReferenceParams, PullResult, pull, streaming=True),
        spec("models.cancel", "Cancel a pull", "Stop a running pull of this reference; its partial download is kept.", ReferenceParams, CancelResult, cancel),
        spec("models.rm", "Remove a model", "Delete a model; blobs another model shares are kept.", ReferenceParams, RemoveResult, remove),
        spec("models.copy", "Copy a model", "Store a model under another reference too; blobs are shared, not copied.", CopyParams, ModelSummary, copy),
        spec("models.import", "Import a GGUF", "Add a local GGUF, copied into the store or used in place.", ImportParams, ImportResult, import_model, streaming=True),
        spec("models.push", "Push a model", "Upload a stored model to the registry its reference names.", ReferenceParams, PushResult, push, streaming=True),
        spec("models.disk_usage", "Disk usage", "Bytes used by models, shared and unreferenced blobs, partial downloads.", Empty, DiskUsage, disk_usage),
    ]  # fmt: skip


def _cancel_event(ctx: CommandContext) -> threading.Event:
    """The library takes a plain Event; the command's token sets it."""
    event = threading.Event()
    ctx.on_cancel(event.set)
    return event
