"""Partial downloads as `models.partials` lists them and `models.discard` removes them: by model,
all at once, and never one a running pull (another process) holds."""

from __future__ import annotations

import fcntl
import json
import os
import struct

from llamadesk.core.models.library import DiscardResult, PartialList

MiB = 1024 * 1024


def make_partial(app, hex_: str, reference: str, size: int, done: int) -> None:
    """What the downloader leaves: a sparse partial, its state (one segment), its note."""
    folder = app.models_dir / ".llamadesk" / "partial"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"sha256-{hex_}"
    with partial.open("wb") as out:
        out.truncate(size)
        out.write(os.urandom(done))
    state = struct.pack("<8sQQQ", b"LDPART1\0", size, size, 1) + struct.pack("<Q", done)
    (folder / f"sha256-{hex_}.state").write_bytes(state)
    (folder / f"sha256-{hex_}.json").write_text(json.dumps({"references": [reference], "size": size}))


def test_partials_are_listed_with_what_they_hold_and_discarded_by_model(app) -> None:
    make_partial(app, "a" * 64, "smollm2:latest", 8 * MiB, 3 * MiB)
    make_partial(app, "b" * 64, "localhost:5000/team/other:q4", 4 * MiB, 1 * MiB)
    listed = app.commands.invoke("models.partials")
    assert isinstance(listed, PartialList)
    rows = {p.digest: p for p in listed.partials}
    first = rows["sha256:" + "a" * 64]
    assert first.references == ["smollm2:latest"] and first.size == 8 * MiB and first.done == 3 * MiB
    assert 3 * MiB <= first.on_disk < 8 * MiB  # sparse: only what was written
    assert listed.total_bytes == sum(p.on_disk for p in listed.partials) and listed.free_bytes > 0

    # A reference written another way names the same model.
    result = app.commands.invoke("models.discard", {"reference": "registry.ollama.ai/library/smollm2"})
    assert isinstance(result, DiscardResult)
    assert [p.digest for p in result.removed] == ["sha256:" + "a" * 64] and result.freed >= 3 * MiB
    left = [p.name for p in (app.models_dir / ".llamadesk" / "partial").iterdir()]
    assert sorted(left) == [
        "sha256-" + "b" * 64,
        "sha256-" + "b" * 64 + ".json",
        "sha256-" + "b" * 64 + ".state",
    ]


def test_a_partial_another_process_holds_is_kept(app) -> None:
    make_partial(app, "c" * 64, "smollm2:latest", 4 * MiB, 1 * MiB)
    make_partial(app, "d" * 64, "smollm2:other", 4 * MiB, 1 * MiB)
    lock = app.models_dir / ".llamadesk" / "partial" / f"sha256-{'c' * 64}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a pull in another process holds it
        assert [p.in_use for p in app.commands.invoke("models.partials").partials] == [True, False]  # type: ignore[attr-defined]
        result = app.commands.invoke("models.discard", {})
        assert isinstance(result, DiscardResult) and result.reference is None
        assert [p.name for p in result.in_use] == ["sha256-" + "c" * 64]
        assert [p.name for p in result.removed] == ["sha256-" + "d" * 64]
        assert (lock.parent / f"sha256-{'c' * 64}").exists()
    finally:
        os.close(fd)
