"""The Models screen: a GGUF that LM Studio keeps imported in place from the window, a model's
detail view with its memory estimate, and its own load options, which the runtime then
uses whenever the model loads without options (the chat, the API, `llamadesk run`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llamadesk.core.models.library import ReferenceParams, RemoveResult
from llamadesk.core.models.llama import LoadParams, ModelParams, ModelStatus, UnloadResult
from llamadesk.core.models.settings import ConfigGetParams, ConfigSetParams, ConfigValue

from .conftest import pump

pytestmark = pytest.mark.slow  # the real starter model, imported and loaded


@pytest.fixture
def lmstudio_home(tmp_path: Path, starter_model: Path) -> Iterator[Path]:
    """A home whose LM Studio folder holds the starter model, as LM Studio lays it out."""
    folder = tmp_path / ".lmstudio" / "models" / "bartowski" / "SmolLM2-135M-Instruct-GGUF"
    folder.mkdir(parents=True)
    os.link(starter_model, folder / "SmolLM2-135M-Instruct-Q4_1.gguf") if _same_fs(
        starter_model, tmp_path
    ) else ((folder / "SmolLM2-135M-Instruct-Q4_1.gguf").write_bytes(starter_model.read_bytes()))
    previous = os.environ["HOME"]
    os.environ["HOME"] = str(tmp_path)
    yield tmp_path
    os.environ["HOME"] = previous


def _same_fs(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def test_import_from_another_app_then_details_and_its_own_load_options(
    ui_app: Any, lmstudio_home: Path
) -> None:
    models = ui_app.screens["models"]
    ui_app.show_screen("models")
    pump(lambda: any(r["viewclass"] == "ImportableRow" for r in models.rows), timeout=60)
    row = next(r for r in models.rows if r["viewclass"] == "ImportableRow")
    assert "LM Studio" in row["where"] and row["path"].endswith("SmolLM2-135M-Instruct-Q4_1.gguf")
    assert any(r["viewclass"] == "SectionRow" for r in models.rows)
    models.import_in_place(row["path"], row["name"])
    pump(
        lambda: any(r["viewclass"] == "ModelRow" and r["name"] == row["name"] for r in models.rows),
        timeout=120,
    )
    name = row["name"]
    imported = next(r for r in models.rows if r.get("name") == name and r["viewclass"] == "ModelRow")
    assert imported["where"] == "used in place"
    assert not any(r["viewclass"] == "ImportableRow" and r["path"] == row["path"] for r in models.rows)

    try:
        dialog = models.show_details(name)
        pump(lambda: dialog.ids.lines.children, timeout=60)
        shown = {line.label: line.value for line in dialog.ids.lines.children}
        assert shown["architecture"] == "llama" and shown["quantization"] and shown["format"] == "in-place"
        assert dialog.memory.startswith("Needs ") and "tokens of context" in dialog.memory
        assert not dialog.own
        dialog.ids.context_size.text = "100"  # too small: said on the field, nothing saved
        dialog.ids.save.dispatch("on_release")
        assert dialog.ids.context_size.error and not dialog.own
        dialog.ids.context_size.text = "1024"
        dialog.ids.threads.text = "2"
        dialog.ids.save.dispatch("on_release")
        pump(lambda: "its own options" in models.note)
        own = ui_app.bridge.invoke("config.get", ConfigGetParams(key="model_load"), ConfigValue).value
        assert own == [{"model": name, "options": {**own[0]["options"], "context_size": 1024}}]
        # Loaded with no options (as the chat and the API load it): its own apply.
        status = ui_app.bridge.invoke("runtime.load", LoadParams(model=name), ModelStatus)
        assert status.context_size == 1024 and status.options is not None and status.options.threads == 2
        dialog.ids.forget.dispatch("on_release")
        pump(lambda: "default options again" in models.note)
        own = ui_app.bridge.invoke("config.get", ConfigGetParams(key="model_load"), ConfigValue).value
        assert own == []
        dialog.dismiss()
    finally:
        ui_app.bridge.invoke("runtime.unload", ModelParams(model=name), UnloadResult)
        ui_app.bridge.invoke("models.rm", ReferenceParams(reference=name), RemoveResult)
        ui_app.commands.invoke("config.set", ConfigSetParams(values={"model_load": []}))
        ui_app.library_changed()
