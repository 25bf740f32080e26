"""Collections (collections.list) as the Collections screen shows them, without Kivy."""

from __future__ import annotations

from typing import Any

from llamadesk.core.models.collections import CollectionInfo, CollectionState

from ..catalogs import N_, tr

STATE_LABELS = {
    CollectionState.READY: N_("ready"),
    CollectionState.QUEUED: N_("queued"),
    CollectionState.SCANNING: N_("listing files"),
    CollectionState.INDEXING: N_("indexing"),
    CollectionState.PAUSED: N_("paused"),
    CollectionState.CANCELLED: N_("cancelled"),
    CollectionState.ERROR: N_("error"),
}
RUNNING = (CollectionState.QUEUED, CollectionState.SCANNING, CollectionState.INDEXING)
STATE_TONES = {
    CollectionState.READY: "fits",
    CollectionState.ERROR: "too big",
    CollectionState.PAUSED: "tight",
}


def counts_text(info: CollectionInfo) -> str:
    """`12 files · 340 passages · 2 left out`, and while indexing what it is doing."""
    text = tr("{files} files · {chunks} passages").format(files=f"{info.files:,}", chunks=f"{info.chunks:,}")
    if info.skipped:
        text += " · " + tr("{count} left out").format(count=f"{info.skipped:,}")
    if info.state is CollectionState.INDEXING:
        if info.current:
            text += " · " + tr("reading {file}").format(file=info.current)
        elif info.to_embed:
            text += " · " + tr("embedding {done}/{total}").format(done=info.embedded_now, total=info.to_embed)
    return text


def collection_row(info: CollectionInfo) -> dict[str, Any]:
    running = info.state in RUNNING
    return {
        "name": info.name,
        "folder": info.folder,
        "state_text": tr(STATE_LABELS[info.state]),
        "tone": STATE_TONES.get(info.state, "primary" if running else "muted"),
        "counts": counts_text(info),
        "message": info.message or "",
        "progress": info.progress if info.progress is not None else (0.0 if running else 1.0),
        "running": running,
        "paused": info.state is CollectionState.PAUSED,
    }


def any_running(infos: list[CollectionInfo]) -> bool:
    """Worth polling again soon: some collection is indexing or waiting to."""
    return any(info.state in RUNNING for info in infos)
