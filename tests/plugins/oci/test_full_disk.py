"""Pulling onto a disk that is too small, or that another program fills midway: a real tmpfs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from llamadesk.core.errors import InsufficientSpace
from llamadesk.core.models.library import DiscardResult, PartialList, PullProgress
from tests.http_servers import ForwardProxy
from tests.small_disk import MB, SmallDisk, small_disk


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path / "disk", 128 * MB) as mounted:
        yield mounted


def use_disk(app, disk: SmallDisk, margin_mb: int = 0) -> None:
    app.config.update({"models_dir": str(disk.root / "models"), "downloads.free_space_margin_mb": margin_mb})


def model_blob_size(registry, repository: str = "library/smollm2") -> int:
    manifest = json.loads(
        registry.server.request(
            "GET",
            f"/v2/{repository}/manifests/latest",
            None,
            {"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        )[2]
    )
    return max(layer["size"] for layer in manifest["layers"])


def test_a_model_that_cannot_fit_is_refused_at_once_and_nothing_is_written(app, registry, disk) -> None:
    use_disk(app, disk)
    disk.fill(leave=30 * MB)
    started = time.monotonic()
    with pytest.raises(InsufficientSpace) as refused:
        app.library.pull(registry.ref("library/smollm2"))
    elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed  # a hang guard; the figure is reported by the CLI test and docs
    message = refused.value.message
    assert "\n" not in message
    assert "not enough disk space to pull" in message and "it needs 98.4 MB" in message
    assert str(disk.root / "models") in message and "config set models_dir" in message
    assert refused.value.details["free"] <= 30 * MB
    assert disk.files() == [disk.root / "filler"]  # not a byte of the model, not even a folder's file


def test_the_free_space_margin_is_a_setting(app, registry, disk) -> None:
    size = model_blob_size(registry)
    use_disk(app, disk, margin_mb=64)
    disk.fill(leave=size + 32 * MB)  # the model fits, the model and the margin do not
    with pytest.raises(InsufficientSpace, match=r"plus 64 MB kept free"):
        app.library.pull(registry.ref("library/smollm2"))
    app.config.update({"downloads.free_space_margin_mb": 0})
    assert app.library.pull(registry.ref("library/smollm2")).downloaded > 0


def test_a_disk_filled_midway_stops_the_pull_at_once_and_keeps_the_partial(
    app, registry, disk, monkeypatch
) -> None:
    size = model_blob_size(registry)
    use_disk(app, disk)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    filled: list[float] = []

    def fill_once(event: PullProgress) -> None:
        if event.done > 20 * MB and not filled:
            disk.fill()  # another program takes every free byte
            filled.append(time.monotonic())

    with ForwardProxy(bytes_per_second=40_000_000) as slow:
        app.config.update({"http_proxy": slow.url})
        with pytest.raises(InsufficientSpace) as stopped:
            app.library.pull(registry.ref("library/smollm2"), on_progress=fill_once)
    assert filled and time.monotonic() - filled[0] < 5  # not ~30 s of retries
    message = stopped.value.message
    assert "\n" not in message and "the disk filled up while pulling" in message
    assert "kept" in message and "llamadesk pull --discard" in message
    assert "run the pull again" not in message

    partials = app.commands.invoke("models.partials")
    assert isinstance(partials, PartialList)
    (partial,) = [p for p in partials.partials if p.kind == "download" and p.size == size]
    assert partial.references == [registry.ref("library/smollm2")] and not partial.in_use
    assert 20 * MB < partial.on_disk < size and partial.done <= partial.on_disk

    # Space comes back, though less than the whole model: what the partial holds counts.
    disk.release()
    disk.fill(leave=size - partial.done + 8 * MB)
    app.config.update({"http_proxy": None})
    result = app.library.pull(registry.ref("library/smollm2"))
    assert result.downloaded < size  # resumed, not started over
    assert app.commands.invoke("models.partials").partials == []  # type: ignore[attr-defined]


def test_discarding_partials_gives_the_space_back(app, registry, disk) -> None:
    use_disk(app, disk)
    ref = registry.ref("library/smollm2")
    cancel_at: list[int] = []

    def cancel_midway(event: PullProgress) -> None:
        if event.done > 10 * MB and not cancel_at:
            cancel_at.append(event.done)
            app.library.cancel(ref)

    # Throttled, so the cancel lands inside the big blob: from a warm registry the whole model
    # can arrive before the cancel is seen, leaving only a small blob's empty partial.
    with ForwardProxy(bytes_per_second=40_000_000) as slow:
        app.config.update({"http_proxy": slow.url})
        with pytest.raises(Exception, match="cancelled"):
            app.library.pull(ref, on_progress=cancel_midway)
    app.config.update({"http_proxy": None})
    free_before = disk.free()
    other = app.commands.invoke("models.discard", {"reference": "127.0.0.1:1/other/model"})
    assert isinstance(other, DiscardResult) and other.removed == []
    result = app.commands.invoke("models.discard", {"reference": ref})
    assert isinstance(result, DiscardResult)
    assert len(result.removed) == 1 and result.freed > 5 * MB
    assert disk.free() >= free_before + result.freed - MB
    assert not any((disk.root / "models" / ".llamadesk" / "partial").iterdir())


def test_an_import_that_cannot_fit_is_refused_before_copying(app, disk, starter_model: Path) -> None:
    use_disk(app, disk)
    disk.fill(leave=40 * MB)
    with pytest.raises(InsufficientSpace, match="not enough disk space to import"):
        app.library.import_file(starter_model)
    assert disk.files() == [disk.root / "filler"]


def test_an_import_that_hits_a_full_disk_midway_leaves_nothing_behind(
    app, disk, starter_model: Path, monkeypatch
) -> None:
    use_disk(app, disk)
    disk.fill(leave=60 * MB)
    # The check passes (as it would when another program fills the disk a moment later)...
    monkeypatch.setattr("llamadesk.core.services.library.require_space", lambda *a, **k: None)
    with pytest.raises(InsufficientSpace, match="the disk filled up while importing"):
        app.library.import_file(starter_model)
    assert disk.files() == [disk.root / "filler"]  # ...and the half copy is gone
