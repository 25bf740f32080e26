"""Hugging Face pulls check the disk first, and refuse sizes no file has, like registry pulls."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from tests.small_disk import MB, small_disk

from .conftest import STARTER_REPO, TINY_REPO
from .hub_server import HubServer


def test_a_hub_model_that_cannot_fit_is_refused_before_a_byte_moves(
    hub_app: App, hub: HubServer, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", 64 * MB) as disk:
        hub_app.config.update({"models_dir": str(disk.root / "models"), "downloads.free_space_margin_mb": 0})
        started = time.monotonic()
        with pytest.raises(CommandError) as refused:
            hub_app.commands.invoke("models.pull", {"reference": f"hf.co/{STARTER_REPO}:Q4_1"})
        assert time.monotonic() - started < 5
        assert refused.value.code == "insufficient_space"
        assert "not enough disk space to pull hf.co/" in refused.value.message
        assert "\n" not in refused.value.message
        assert disk.files() == []
        assert not hub.downloads_of("SmolLM2-135M-Instruct-Q4_1.gguf")


@pytest.mark.parametrize(("size", "words"), [(-1, "must be greater than or equal to 0"), (1 << 50, "1.1 PB")])
def test_a_hub_listing_with_an_impossible_size_is_one_line(
    hub_app: App, hub: HubServer, size, words, monkeypatch
) -> None:
    # The hub's files are made once a session: the size is put back after the test.
    monkeypatch.setattr(hub.repos[TINY_REPO].file("tinyllama-Q2_K.gguf"), "size", size)
    with pytest.raises(CommandError) as refused:
        hub_app.commands.invoke("models.pull", {"reference": f"hf.co/{TINY_REPO}:Q2_K"})
    assert refused.value.code == "registry_error", refused.value.message
    assert words in refused.value.message and "\n" not in refused.value.message
    assert not hub.downloads_of("tinyllama-Q2_K.gguf")
