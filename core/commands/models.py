"""models.* commands: thin translations onto `app.library` (core/services/library.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ..models.commands import Empty
from ..models.library import (
    CancelResult,
    CopyParams,
    DiscardParams,
    DiscardResult,
    DiskUsage,
    ImportModelParams,
    ImportResult,
    ListParams,
    ModelDetails,
    ModelList,
    ModelSummary,
    PartialList,
    PullResult,
    PushResult,
    ReferenceParams,
    RemoveResult,
)
from .context import CommandContext
from .spec import CommandSpec, Handler

if TYPE_CHECKING:
    from ..services.library import ModelLibrary


def model_commands(library: ModelLibrary, starter_file: Callable[[], Path]) -> list[CommandSpec]:
    """`starter_file` fetches the starter GGUF once and says where it is."""

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

    def import_model(params: ImportModelParams, ctx: CommandContext) -> ImportResult:
        return library.import_file(
            params.path,
            name=params.name,
            in_place=params.in_place,
            on_progress=ctx.emit,
            cancel=_cancel_event(ctx),
        )

    def starter(params: Empty, ctx: CommandContext) -> ImportResult:
        return library.keep_in_place(starter_file())

    def push(params: ReferenceParams, ctx: CommandContext) -> PushResult:
        return library.push(params.reference, on_progress=ctx.emit, cancel=_cancel_event(ctx))

    def disk_usage(params: Empty, ctx: CommandContext) -> DiskUsage:
        return library.disk_usage()

    def partials(params: Empty, ctx: CommandContext) -> PartialList:
        return library.partials()

    def discard(params: DiscardParams, ctx: CommandContext) -> DiscardResult:
        return library.discard_partials(params.reference)

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
        spec("models.import", "Import a GGUF", "Add a local GGUF, copied into the store or used in place.", ImportModelParams, ImportResult, import_model, streaming=True),
        spec("models.starter", "Get the starter model", "Fetch the starter model (SmolLM2-135M, 98 MB) once and keep it in the library.", Empty, ImportResult, starter),
        spec("models.push", "Push a model", "Upload a stored model to the registry its reference names.", ReferenceParams, PushResult, push, streaming=True),
        spec("models.disk_usage", "Disk usage", "Bytes used by models, shared and unreferenced blobs, partial downloads.", Empty, DiskUsage, disk_usage),
        spec("models.partials", "Partial downloads", "Unfinished downloads kept for resuming, with the disk space each holds.", Empty, PartialList, partials),
        spec("models.discard", "Discard partial downloads", "Remove a model's partial downloads (or all of them) to give the space back.", DiscardParams, DiscardResult, discard),
    ]  # fmt: skip


def _cancel_event(ctx: CommandContext) -> threading.Event:
    """The library takes a plain Event; the command's token sets it."""
    event = threading.Event()
    ctx.on_cancel(event.set)
    return event
