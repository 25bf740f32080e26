"""Small GGUF files for the hub tests: a real header (what the estimate reads), zero padding after."""

from __future__ import annotations

import struct

_U32, _F32, _STRING = 4, 6, 8


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def make_gguf(metadata: dict[str, str | int | float], size: int) -> bytes:
    """A GGUF v3 with these keys and no tensors, padded with zeros to `size` bytes."""
    body = b""
    for key, value in metadata.items():
        body += _string(key)
        if isinstance(value, str):
            body += struct.pack("<I", _STRING) + _string(value)
        elif isinstance(value, int):
            body += struct.pack("<II", _U32, value)
        else:
            body += struct.pack("<If", _F32, value)
    header = b"GGUF" + struct.pack("<IQQ", 3, 0, len(metadata)) + body
    if len(header) > size:
        raise ValueError(f"header of {len(header)} bytes does not fit in {size}")
    return header + bytes(size - len(header))


def llama_shape(name: str, file_type: int, **extra: str | int | float) -> dict[str, str | int | float]:
    """Metadata of a small llama-shaped model (22 layers, 4 KV heads of 64): KV ~ 22 KiB/token."""
    return {
        "general.architecture": "llama",
        "general.name": name,
        "general.file_type": file_type,
        "llama.context_length": 2048,
        "llama.block_count": 22,
        "llama.embedding_length": 2048,
        "llama.attention.head_count": 32,
        "llama.attention.head_count_kv": 4,
        **extra,
    }
