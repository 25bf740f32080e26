"""collections.* commands: add, list, index (with progress), pause, resume, cancel, remove,
problems and search. Thin: each translates its params and calls the `DocumentLibrary`."""

from __future__ import annotations

from collections.abc import Callable

from llamadesk.core.commands import CommandContext, CommandSpec
from llamadesk.core.models.collections import (
    AddCollectionParams,
    CollectionInfo,
    CollectionList,
    CollectionParams,
    CollectionProblems,
    CollectionSearchParams,
    CollectionSearchResult,
    CollectionState,
    IndexParams,
    ProblemsParams,
)
from llamadesk.core.models.commands import Empty, ProgressEvent

from .indexer import RunStatus
from .library import DocumentLibrary

ENDED = (CollectionState.READY, CollectionState.PAUSED, CollectionState.CANCELLED, CollectionState.ERROR)


def collection_commands(library: Callable[[], DocumentLibrary]) -> list[CommandSpec]:
    def add(params: AddCollectionParams, ctx: CommandContext) -> CollectionInfo:
        return library().add(params.name, params.folder)

    def list_(params: Empty, ctx: CommandContext) -> CollectionList:
        return library().listing()

    def status(params: CollectionParams, ctx: CommandContext) -> CollectionInfo:
        return library().get(params.name)

    def index(params: IndexParams, ctx: CommandContext) -> CollectionInfo:
        docs = library()
        row = docs.row(params.name)
        if not params.wait:
            docs.index(params.name, full=params.full)
            return docs.get(params.name)

        def relay(collection_id: int, run: RunStatus) -> None:
            if collection_id == row.id:
                ctx.emit(_progress(params.name, run))

        def stop() -> None:  # cancelling the command cancels the run; what was indexed is kept
            docs.indexer.cancel(row.id)

        docs.indexer.listeners.append(relay)
        undo = ctx.on_cancel(stop)
        try:
            ended = docs.index(params.name, full=params.full)
            # Cancelled before that run was queued (while another run of the collection, say
            # the one adding it started, was still stopping): `stop` found no run to stop.
            if ctx.cancelled:
                stop()
            ended.wait()
        finally:
            undo()
            docs.indexer.listeners.remove(relay)
        return docs.get(params.name)

    def pause(params: CollectionParams, ctx: CommandContext) -> CollectionInfo:
        return library().pause(params.name)

    def resume(params: CollectionParams, ctx: CommandContext) -> CollectionInfo:
        return library().resume(params.name)

    def cancel(params: CollectionParams, ctx: CommandContext) -> CollectionInfo:
        return library().cancel(params.name)

    def remove(params: CollectionParams, ctx: CommandContext) -> Empty:
        library().remove(params.name)
        return Empty()

    def problems(params: ProblemsParams, ctx: CommandContext) -> CollectionProblems:
        return library().problems(params.name, params.limit)

    def search(params: CollectionSearchParams, ctx: CommandContext) -> CollectionSearchResult:
        found = library().search(params.collections, params.text, params.limit, params.mode)
        return CollectionSearchResult(sources=found)

    return [
        CommandSpec(
            id="collections.add",
            title="Add a collection",
            description="Name a folder to index for chats to search; indexing starts in the background. "
            "Its files are only read, never changed.",
            handler=add,
            params=AddCollectionParams,
            result=CollectionInfo,
        ),
        CommandSpec(
            id="collections.list",
            title="List collections",
            description="Every collection with its counts and what its indexing is doing now.",
            handler=list_,
            params=Empty,
            result=CollectionList,
        ),
        CommandSpec(
            id="collections.status",
            title="A collection's status",
            description="One collection's counts, state and progress.",
            handler=status,
            params=CollectionParams,
            result=CollectionInfo,
        ),
        CommandSpec(
            id="collections.index",
            title="Index a collection",
            description="Read the files that changed since the last run (by size and date, then content hash) and "
            "embed new passages; with `full`, every file. Streams progress events until the run "
            "ends (cancelling the command cancels the run), or returns at once without `wait`.",
            handler=index,
            params=IndexParams,
            result=CollectionInfo,
            streaming=True,
        ),
        CommandSpec(
            id="collections.pause",
            title="Pause indexing",
            description="Stop the collection's indexing and keep it out of automatic runs until resumed; "
            "what was indexed is kept.",
            handler=pause,
            params=CollectionParams,
            result=CollectionInfo,
        ),
        CommandSpec(
            id="collections.resume",
            title="Resume indexing",
            description="Index a paused collection again, going on from what was indexed.",
            handler=resume,
            params=CollectionParams,
            result=CollectionInfo,
        ),
        CommandSpec(
            id="collections.cancel",
            title="Cancel indexing",
            description="Stop the collection's running or queued indexing; what was indexed is kept.",
            handler=cancel,
            params=CollectionParams,
            result=CollectionInfo,
        ),
        CommandSpec(
            id="collections.remove",
            title="Remove a collection",
            description="Delete the collection's index (passages and vectors). The folder and its files are not touched.",
            handler=remove,
            params=CollectionParams,
            result=Empty,
        ),
        CommandSpec(
            id="collections.problems",
            title="Files left out",
            description="The collection's files that gave no text, and why (encrypted, scanned-only, binary, too large).",
            handler=problems,
            params=ProblemsParams,
            result=CollectionProblems,
        ),
        CommandSpec(
            id="collections.search",
            title="Search collections",
            description="Passages of the given collections that best match the text: keywords (BM25) and meaning "
            "(vectors) fused by rank, or either alone.",
            handler=search,
            params=CollectionSearchParams,
            result=CollectionSearchResult,
        ),
    ]


def _progress(name: str, run: RunStatus) -> ProgressEvent:
    """One line a front end can show as it is, with done/total for a bar."""
    if run.state is CollectionState.SCANNING:
        return ProgressEvent(done=run.files_total, message=f"{name}: listing files ({run.files_total})")
    if run.state is CollectionState.INDEXING:
        if run.current:
            what = f"reading {run.current}"
        elif run.to_embed:
            what = f"embedding passages {run.embedded_now}/{run.to_embed}"
        else:
            what = f"read {run.files_done}/{run.files_total} files"
        total = run.files_total + run.to_embed
        return ProgressEvent(
            done=run.files_done + run.embedded_now, total=total or None, message=f"{name}: {what}"
        )
    note = f" ({run.message})" if run.message else ""
    return ProgressEvent(message=f"{name}: {run.state.value}{note}")
