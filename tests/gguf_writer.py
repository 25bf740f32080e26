"""Writes tiny header-only GGUF files (no tensors) for tests of split models and metadata."""

from __future__ import annotations

import struct
from pathlib import Path

_U16, _U32, _STRING = 2, 4, 8


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path, metadata: dict[str, str | int], padding: bytes = b"") -> Path:
    """A GGUF v3 with the given string/uint32 metadata and no tensors, then `padding` bytes."""
    body = b"GGUF" + struct.pack("<IQQ", 3, 0, len(metadata))
    for key, value in metadata.items():
        if isinstance(value, str):
            body += _string(key) + struct.pack("<I", _STRING) + _string(value)
        else:
            body += _string(key) + struct.pack("<I", _U32) + struct.pack("<I", value)
    path.write_bytes(body + padding)
    return path


def write_split(folder: Path, prefix: str, count: int) -> list[Path]:
    """`prefix-0000i-of-0000n.gguf`, each saying which shard it is (split.no, split.count)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_gguf(
            folder / f"{prefix}-{i:05d}-of-{count:05d}.gguf",
            {"general.architecture": "llama", "split.no": i - 1, "split.count": count},
            padding=bytes([i]) * 64,
        )
        for i in range(1, count + 1)
    ]
