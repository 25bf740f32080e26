"""A journey: a GGUF that LM Studio downloaded (in its folder under the home, as LM Studio
keeps it) and one in the Hugging Face cache are listed on the Models screen under "From
other apps"; a click imports the LM Studio one in place (nothing copied), it joins the
library (the other stays offered), loads from its row, and the chat answers with it. Clicked in a real X window
(tests/ui/journey.py); each step's screen is saved."""

from __future__ import annotations

from pathlib import Path

from tests.plugins.huggingface.gguf_maker import llama_shape, make_gguf

from .journey import RealWindow, library_references, shots_folder, wait_until

LMSTUDIO_FILE = "bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q4_1.gguf"
HF_SNAPSHOT = "models--HuggingFaceTB--SmolLM2-135M-Instruct-GGUF/snapshots/0123abcd/smollm2-135m-q4_1.gguf"


def test_import_a_gguf_from_another_app_in_place_and_chat_with_it(
    display: str, tmp_path: Path, starter_model: Path
) -> None:
    app = RealWindow(display, tmp_path, shots_folder(tmp_path, "import"))
    # The other apps' folders, as each keeps its models (links to the tests' starter GGUF).
    in_lmstudio = app.user_home / ".lmstudio" / "models" / LMSTUDIO_FILE
    in_hf_cache = app.user_home / ".cache" / "huggingface" / "hub" / HF_SNAPSHOT
    in_lmstudio.parent.mkdir(parents=True)
    in_lmstudio.symlink_to(starter_model)
    in_hf_cache.parent.mkdir(parents=True)
    in_hf_cache.write_bytes(make_gguf(llama_shape("SmolLM2 135M", 3), 300_000))  # listed, not imported
    try:
        app.start()
        app.click(id="nav_models", then={"cls": "ImportableRow"})
        app.find(cls="ImportableRow", path=str(in_hf_cache))
        row = app.find(cls="ImportableRow", path=str(in_lmstudio))
        assert "LM Studio" in " ".join(w["text"] for w in app.widgets(path=str(in_lmstudio))), row
        app.shot("01-from-other-apps")

        app.click(cls="FlatButton", text="Import", path=str(in_lmstudio))
        # It joins the library (a ModelRow) and leaves the "other apps" list.
        model = app.find(cls="ModelRow", timeout=60)
        name = model["context"]["name"]
        wait_until(lambda: not app.widgets(cls="ImportableRow", path=str(in_lmstudio)), 30, "still offered")
        app.find(cls="ImportableRow", path=str(in_hf_cache))  # the other stays offered
        app.shot("02-imported")

        app.click(cls="FlatButton", text="Load", name=name)
        app.click(id="ok", text="Load")  # the load options dialog, with the defaults
        wait_until(
            lambda: app.widgets(cls="Badge", name=name, text="ready"),
            120,
            lambda: f"not ready: {app.log_tail()}",
        )
        app.shot("03-loaded")

        app.click(id="nav_chat", then={"id": "composer"})
        app.send_and_wait("Hello")
        app.shot("04-answered")
    finally:
        app.stop()
    references = library_references(tmp_path / "app")
    assert references == [name], references
    # In place: the library points at LM Studio's file; no copy of its 98 MB was made.
    blobs = [p for p in (tmp_path / "app").rglob("*") if p.is_file() and p.stat().st_size > 50_000_000]
    assert blobs == [], blobs
