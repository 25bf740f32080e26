"""GGUF header reader on the real starter model, and on files that are not GGUFs."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from llamadesk.core.gguf import GGUFError, is_gguf, read_gguf


def test_reads_starter_model_header(starter_model: Path) -> None:
    info = read_gguf(starter_model)
    assert info.architecture == "llama"
    assert info.quantization == "Q4_1"
    assert info.context_length == 8192
    assert info.block_count == 30
    assert (info.head_count, info.head_count_kv, info.embedding_length) == (9, 3, 576)
    assert 130_000_000 < info.parameter_count < 140_000_000
    assert info.chat_template is not None and "<|im_start|>" in info.chat_template
    assert info.license == "apache-2.0"
    assert info.file_size == starter_model.stat().st_size
    assert len(info.metadata["tokenizer.ggml.tokens"]) == 16  # long arrays keep only their head
    assert is_gguf(starter_model)


def test_not_a_gguf(tmp_path: Path) -> None:
    path = tmp_path / "notes.gguf"
    path.write_text("hello, I am text")
    assert not is_gguf(path)
    with pytest.raises(GGUFError, match="not a GGUF"):
        read_gguf(path)


@pytest.mark.parametrize("keep", [3, 20, 4096, 2_000_000, 50_000_000])
def test_truncated_header_is_a_clear_error(starter_model: Path, tmp_path: Path, keep: int) -> None:
    path = tmp_path / "cut.gguf"
    with starter_model.open("rb") as src:
        path.write_bytes(src.read(keep))
    with pytest.raises(GGUFError) as caught:
        read_gguf(path)
    assert caught.value.code == "invalid_model_file"
    assert "truncated" in caught.value.message or "not a GGUF" in caught.value.message


def test_absurd_counts_are_refused_before_allocating(tmp_path: Path) -> None:
    path = tmp_path / "evil.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + struct.pack("<Q", 1 << 60))
    with pytest.raises(GGUFError, match="corrupt"):
        read_gguf(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GGUFError, match="cannot read"):
        read_gguf(tmp_path / "absent.gguf")
