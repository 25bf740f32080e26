"""`models.starter`: the starter model is fetched once and kept in the library in place, under
the name the library gives it; asked again, the same model comes back."""

from __future__ import annotations

from pathlib import Path

from llamadesk.core.app import App
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.library import ImportResult, ListParams, ModelList
from llamadesk.core.paths import AppPaths
from llamadesk.core.starter_model import starter_model_path


def test_starter_is_kept_in_place_once(tmp_path: Path, starter_model: Path) -> None:
    paths = AppPaths.under(tmp_path / "home")
    cached = starter_model_path(paths.cache_dir)
    cached.parent.mkdir(parents=True)
    cached.symlink_to(starter_model)  # what the pip fetch leaves there, without the network
    app = App(paths, load_entrypoints=False).start()
    try:
        first = app.commands.invoke("models.starter", Empty())
        again = app.commands.invoke("models.starter", Empty())
        listing = app.commands.invoke("models.list", ListParams(discover=False))
    finally:
        app.close()
    assert isinstance(first, ImportResult) and isinstance(again, ImportResult)
    assert first.reference == again.reference == "smollm2-135m-instruct:q4_1"
    assert first.in_place and first.size == starter_model.stat().st_size
    assert isinstance(listing, ModelList)
    assert [m.reference for m in listing.models] == [first.reference]
    assert listing.models[0].size == first.size
