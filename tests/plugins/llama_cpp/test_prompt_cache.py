"""Conversations' KV states saved to the data folder and restored, with the real starter model.

Each test opens its own apps on one data folder, as a user restarting the app would.
What a restore spared shows in `usage.cached_tokens` (prompt tokens not processed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import llama_cpp
import pytest

from llamadesk.core.app import App
from llamadesk.core.models.llama import GenerationResult, LoadOptions
from llamadesk.core.paths import AppPaths
from llamadesk.plugins.llama_cpp import PROMPT_CACHE_FOLDER
from llamadesk.plugins.llama_cpp.prompt_store import KEY_CHARS, PromptStore, state_key

from .conftest import SMALL

pytestmark = pytest.mark.slow  # loads the real starter model

OPTIONS = SMALL.model_copy(update={"parallel": 1})
# ~400 tokens: long enough to be saved (sequence_states.SAVE_MIN_TOKENS) and to notice a restore.
NOTES = " ".join(
    f"Note {n}: the harbour master logged ship number {n * 7} arriving from the north with grain."
    for n in range(20)
)
FIRST = [{"role": "user", "content": f"{NOTES}\n\nWhich ship arrived first?"}]


@contextmanager
def opened(root: Path, cache_mb: int | None = None) -> Iterator[App]:
    app = App(AppPaths.under(root), load_entrypoints=False).start()
    try:
        if cache_mb is not None:
            app.commands.invoke("config.set", {"values": {"llama_cpp.prompt_cache_mb": cache_mb}})
        yield app
    finally:
        app.close()  # the worker writes what it was asked to save before it exits


def load(app: App, model: Path | str) -> None:
    app.commands.invoke("runtime.load", {"model": str(model), "options": OPTIONS.model_dump()})


def generate(app: App, model: Path | str, messages=None, prompt: str | None = None) -> GenerationResult:
    params = {
        "model": str(model),
        "messages": messages or [],
        "prompt": prompt,
        "sampling": {"temperature": 0, "repeat_penalty": 1.0, "max_tokens": 24},
    }
    result = app.commands.invoke("runtime.generate", params)
    assert isinstance(result, GenerationResult)
    return result


def saved_states(root: Path) -> list[Path]:
    return sorted((AppPaths.under(root).data_dir / PROMPT_CACHE_FOLDER).glob("*.kv"))


def test_a_chat_continued_after_a_restart_reuses_the_saved_state(tmp_path: Path, starter_model: Path) -> None:
    with opened(tmp_path / "home") as app:
        load(app, starter_model)
        first = generate(app, starter_model, FIRST)
        assert first.usage.cached_tokens == 0
    assert len(saved_states(tmp_path / "home")) == 1
    follow_up = [*FIRST, {"role": "assistant", "content": first.content}, {"role": "user", "content": "Why?"}]

    with opened(tmp_path / "home") as app:  # the app restarted
        load(app, starter_model)
        continued = generate(app, starter_model, follow_up)
    with opened(tmp_path / "off", cache_mb=0) as app:
        load(app, starter_model)
        recomputed = generate(app, starter_model, follow_up)

    # The conversation so far came from the file: only the new turn was processed.
    assert continued.usage.cached_tokens >= first.usage.prompt_tokens
    assert continued.usage.prompt_tokens - continued.usage.cached_tokens < 40
    assert recomputed.usage.cached_tokens == 0 and not saved_states(tmp_path / "off")
    assert continued.content == recomputed.content  # greedy: the restored state is the same state


def test_a_state_saved_for_another_model_is_refused(
    tmp_path: Path, starter_model: Path, model_without_template: Path
) -> None:
    home = tmp_path / "home"
    with opened(home) as app:
        load(app, starter_model)
        original = generate(app, starter_model, prompt=NOTES)
    (saved,) = saved_states(home)
    # Dressed up as the other model's (same weights, another file): its header still says whose it is.
    other_key = state_key(str(model_without_template), OPTIONS, llama_cpp.__version__)
    disguised = saved.with_name(other_key[:KEY_CHARS] + saved.name[KEY_CHARS:])
    saved.rename(disguised)

    with opened(home) as app:
        load(app, model_without_template)
        result = generate(app, model_without_template, prompt=NOTES)
    assert result.usage.cached_tokens == 0
    assert result.content == original.content
    # Refused and deleted; the file of that name now holds the other model's own state.
    mine = PromptStore(disguised.parent, other_key, max_bytes=1 << 30)
    assert list(mine._states) == [disguised]


@pytest.mark.parametrize("damage", ["flipped", "truncated"])
def test_a_corrupted_state_is_refused_and_recomputed(
    tmp_path: Path, starter_model: Path, damage: str
) -> None:
    home = tmp_path / "home"
    with opened(home) as app:
        load(app, starter_model)
        original = generate(app, starter_model, prompt=NOTES)
    (saved,) = saved_states(home)
    data = bytearray(saved.read_bytes())
    if damage == "flipped":
        data[-1000:-900] = bytes(b ^ 0xFF for b in data[-1000:-900])
    else:
        del data[-1000:]
    saved.write_bytes(bytes(data))

    with opened(home) as app:
        load(app, starter_model)
        again = generate(app, starter_model, prompt=NOTES)
        repeated = generate(app, starter_model, prompt=NOTES)
    assert again.usage.cached_tokens == 0
    assert again.content == original.content
    # The slot kept the recomputed prompt: the same prompt again reads almost nothing.
    assert repeated.usage.cached_tokens == repeated.usage.prompt_tokens - 1


def test_the_folder_keeps_under_its_cap_by_dropping_the_least_recently_used(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    key = state_key(str(model), LoadOptions(), "test")
    store = PromptStore(tmp_path / "states", key, max_bytes=25_000)
    for first in range(4):
        store.save([first, 1, 2, 3], memoryview(bytes(10_000)))
        store.close()  # written before the next, so their ages differ
    kept = PromptStore(tmp_path / "states", key, max_bytes=25_000)
    assert sorted(s.tokens[0] for s in kept._states.values()) == [2, 3]
    assert sum(path.stat().st_size for path in (tmp_path / "states").glob("*.kv")) <= 25_000
    found = kept.best([3, 1, 2, 3, 9])
    assert found is not None and found[1] == 4
    assert kept.read(found[0]) == bytes(10_000)
    # A longer conversation replaces the state it continues.
    kept.save([3, 1, 2, 3, 9, 9], memoryview(bytes(100)))
    kept.close()
    assert sorted(s.tokens for s in kept._states.values()) == [[2, 1, 2, 3], [3, 1, 2, 3, 9, 9]]


def test_aliases_of_one_file_share_a_key_and_write_one_state_whole(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    (tmp_path / "link.gguf").symlink_to(model)
    (tmp_path / "hard.gguf").hardlink_to(model)
    copy = tmp_path / "copy.gguf"
    copy.write_bytes(b"GGUF")
    keys = {
        name: state_key(str(tmp_path / name), LoadOptions(), "test")
        for name in ("model.gguf", "link.gguf", "hard.gguf")
    }
    assert len(set(keys.values())) == 1
    assert state_key(str(copy), LoadOptions(), "test") != keys["model.gguf"]
    assert state_key(str(model), LoadOptions(flash_attention=False), "test") != keys["model.gguf"]
    # Two workers of the file (through two aliases) save the same conversation at once.
    data = bytes(range(256)) * 4_000
    stores = [PromptStore(tmp_path / "states", keys[name], 10**8) for name in ("link.gguf", "hard.gguf")]
    for _ in range(3):
        for store in stores:
            store.save([1, 2, 3], memoryview(data))
    for store in stores:
        store.close()
    assert not list((tmp_path / "states").glob("*.partial"))
    fresh = PromptStore(tmp_path / "states", keys["model.gguf"], 10**8)
    found = fresh.best([1, 2, 3, 4])
    assert found is not None and fresh.read(found[0]) == data
