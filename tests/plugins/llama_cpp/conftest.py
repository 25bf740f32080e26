"""A started app shared by a test module, with the real starter model loaded once.

Loading spawns a worker process (~1-2 s), so tests that only generate share one
loaded model; tests that kill, reload or unload use their own model id (a symlink
to the same file: a model's id is the reference it was loaded by).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.models.llama import LoadOptions
from llamadesk.core.paths import AppPaths

# Small context and batch: fast to load, small to hold; two threads as on CI.
SMALL = LoadOptions(context_size=1024, batch_size=256, threads=2)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    root = tmp_path_factory.mktemp("home")
    app = App(AppPaths(root / "config", root / "data", root / "cache"), load_entrypoints=False).start()
    yield app
    app.close()


@pytest.fixture(scope="module")
def loaded_model(shared_app: App, starter_model: Path) -> str:
    """The id of the starter model, loaded in `shared_app` with SMALL options."""
    model = str(starter_model)
    shared_app.commands.invoke("runtime.load", {"model": model, "options": SMALL.model_dump()})
    return model


@pytest.fixture
def model_alias(tmp_path: Path, starter_model: Path) -> str:
    """Another id for the starter model: a symlink, loaded as a separate model."""
    link = tmp_path / "alias.gguf"
    link.symlink_to(starter_model)
    return str(link)


@pytest.fixture(scope="session")
def model_without_template(starter_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter model with `tokenizer.chat_template` removed from its GGUF header."""
    target = tmp_path_factory.mktemp("no-template") / "no-template.gguf"
    target.write_bytes(drop_gguf_key(starter_model.read_bytes(), "tokenizer.chat_template"))
    return target


def drop_gguf_key(data: bytes, key: str) -> bytes:
    """Rewrite a GGUF without one metadata key; tensor data is moved, not changed."""
    import struct

    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    pos = 24  # magic, version, tensor count, kv count

    def u32() -> int:
        nonlocal pos
        pos += 4
        return int(struct.unpack_from("<I", data, pos - 4)[0])

    def u64() -> int:
        nonlocal pos
        pos += 8
        return int(struct.unpack_from("<Q", data, pos - 8)[0])

    def string() -> bytes:
        nonlocal pos
        size = u64()
        pos += size
        return data[pos - size : pos]

    def skip(kind: int) -> None:
        nonlocal pos
        if kind == 8:
            string()
        elif kind == 9:
            item, count = u32(), u64()
            for _ in range(count):
                skip(item)
        else:
            pos += sizes[kind]

    tensor_count, kv_count = struct.unpack_from("<QQ", data, 8)
    kept, alignment = [], 32
    for _ in range(kv_count):
        start = pos
        name = string().decode()
        kind = u32()
        value_at = pos
        skip(kind)
        if name == "general.alignment":
            alignment = int(struct.unpack_from("<I", data, value_at)[0])
        if name != key:
            kept.append(data[start:pos])
    tensors_start = pos
    for _ in range(tensor_count):
        string()
        dims = u32()
        pos += 8 * dims + 4 + 8
    tensor_infos = data[tensors_start:pos]
    old_data_start = -(-pos // alignment) * alignment
    header = data[:16] + struct.pack("<Q", len(kept)) + b"".join(kept) + tensor_infos
    padding = b"\0" * (-len(header) % alignment)
    return header + padding + data[old_data_start:]
