"""Blobs adopted without downloading: files already on disk, linked or copied, always verified."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from llamadesk.core.models.download import BlobRequest
from llamadesk.core.services.local_blobs import adopt_local_blob
from llamadesk.core.services.model_store import ModelStore


def request(content: bytes, **fields: object) -> BlobRequest:
    digest = "sha256:" + hashlib.sha256(content).hexdigest()
    return BlobRequest(url="", digest=digest, size=len(content), **fields)  # type: ignore[arg-type]


def test_a_local_file_is_linked_when_it_matches(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    cached = tmp_path / "cache" / "blob"
    cached.parent.mkdir()
    cached.write_bytes(b"GGUF weights")
    blob = request(b"GGUF weights", local_files=(tmp_path / "absent", cached))
    target = store.blob_path(blob.digest)
    assert adopt_local_blob(store, blob, target)
    assert target.stat().st_ino == cached.stat().st_ino


def test_copied_when_links_are_impossible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    store = ModelStore(tmp_path / "models")
    cached = tmp_path / "cached.gguf"
    cached.write_bytes(b"GGUF weights")
    blob = request(b"GGUF weights", local_files=(cached,))
    target = store.blob_path(blob.digest)
    assert adopt_local_blob(store, blob, target)
    assert target.read_bytes() == b"GGUF weights"
    assert target.stat().st_ino != cached.stat().st_ino


def test_a_file_with_other_bytes_is_not_adopted(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    cached = tmp_path / "cached.gguf"
    cached.write_bytes(b"GGUF tampered")
    blob = request(b"GGUF weights!", local_files=(cached,))
    target = store.blob_path(blob.digest)
    assert not adopt_local_blob(store, blob, target)
    assert not target.exists()
    assert list(store.partial_dir.iterdir()) == []
