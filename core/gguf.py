"""Reads a GGUF file's header: metadata and tensor shapes, never the weights.

Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (little-endian).
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import BinaryIO

from .errors import N_, LlamadeskError
from .models.gguf import GGUFInfo, Scalar

MAGIC = b"GGUF"
# Arrays longer than this (token lists: 50k-250k strings) are kept only as their head.
KEEP_ARRAY_ITEMS = 16
# A header claiming more than this is corrupt, not big: refuse before allocating.
MAX_STRING = 64 * 1024 * 1024
MAX_COUNT = 1 << 32

# llama.cpp's enum llama_ftype, as written in general.file_type.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
}  # fmt: skip

# ggml_type of a tensor, used when general.file_type is missing (the most common wins).
TENSOR_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
    10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS",
    17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
    23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16",
    34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
}  # fmt: skip

_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9


class GGUFError(LlamadeskError):
    """The file is not a GGUF, or its header is cut short or corrupt."""

    code = "invalid_model_file"


class _Reader:
    def __init__(self, stream: BinaryIO, path: Path) -> None:
        self.stream = stream
        self.path = path

    def take(self, size: int) -> bytes:
        data = self.stream.read(size)
        if len(data) != size:
            raise GGUFError(
                N_("{name} is truncated: its GGUF header ends early"),
                path=str(self.path),
                name=self.path.name,
            )
        return data

    def unpack(self, fmt: str) -> int | float | bool:
        value: int | float | bool = struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
        return value

    def u32(self) -> int:
        return int(self.unpack("<I"))

    def u64(self) -> int:
        return int(self.unpack("<Q"))

    def count(self) -> int:
        value = self.u64()
        if value > MAX_COUNT:
            raise GGUFError(
                N_("{name} has a corrupt GGUF header (count {value})"),
                path=str(self.path),
                name=self.path.name,
                value=value,
            )
        return value

    def string(self) -> str:
        size = self.u64()
        if size > MAX_STRING:
            raise GGUFError(
                N_("{name} has a corrupt GGUF header (string of {size} bytes)"),
                name=self.path.name,
                size=size,
            )
        return self.take(size).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Scalar | list[Scalar]:
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind = self.u32()
            length = self.count()
            items: list[Scalar] = []
            fmt = _SCALARS.get(item_kind)
            if fmt is not None and length > KEEP_ARRAY_ITEMS:
                # Fixed-size items past the head are skipped in one seek (token types, scores).
                items = [self.unpack(fmt) for _ in range(KEEP_ARRAY_ITEMS)]
                self.stream.seek((length - KEEP_ARRAY_ITEMS) * struct.calcsize(fmt), 1)
                return items
            for index in range(length):
                item = self.value(item_kind)
                if index < KEEP_ARRAY_ITEMS and not isinstance(item, list):
                    items.append(item)
            return items
        fmt = _SCALARS.get(kind)
        if fmt is None:
            raise GGUFError(
                N_("{name} has an unknown GGUF value type {kind}"),
                path=str(self.path),
                name=self.path.name,
                kind=kind,
            )
        return self.unpack(fmt)


def read_gguf(path: Path | str) -> GGUFInfo:
    """Read the header of a GGUF file. Raises GGUFError for anything that is not one."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            return _parse(_Reader(stream, path), path, size)
    except OSError as exc:
        raise GGUFError(
            N_("cannot read {path}: {reason}"), path=str(path), reason=exc.strerror or exc
        ) from exc


def read_gguf_header(data: bytes, file_size: int, name: str) -> GGUFInfo:
    """Read a header from the first bytes of a GGUF elsewhere (a hub's file, fetched by Range).

    `file_size` is the whole file's size. Raises GGUFError ("truncated") when `data`
    ends inside the header: fetch more bytes and call again.
    """
    path = Path(name)
    return _parse(_Reader(io.BytesIO(data), path), path, file_size)


def is_gguf(path: Path | str) -> bool:
    """True if the file starts with the GGUF magic (cheap; reads 4 bytes)."""
    try:
        with Path(path).open("rb") as stream:
            return stream.read(4) == MAGIC
    except OSError:
        return False


def _parse(reader: _Reader, path: Path, size: int) -> GGUFInfo:
    if reader.stream.read(4) != MAGIC:
        raise GGUFError(N_("{name} is not a GGUF model file"), path=str(path), name=path.name)
    version = reader.u32()
    if version not in (2, 3):
        raise GGUFError(
            N_("{name} uses GGUF version {version}, which is not supported"),
            path=str(path),
            name=path.name,
            version=version,
        )
    tensor_count = reader.count()
    kv_count = reader.count()
    meta: dict[str, Scalar | list[Scalar]] = {}
    for _ in range(kv_count):
        key = reader.string()
        meta[key] = reader.value(reader.u32())

    parameters = 0
    last_offset = 0
    type_counts: dict[int, int] = {}
    for _ in range(tensor_count):
        reader.string()  # tensor name
        n_dims = reader.u32()
        if n_dims > 8:
            raise GGUFError(N_("{name} has a corrupt tensor table"), path=str(path), name=path.name)
        elements = 1
        for _ in range(n_dims):
            elements *= reader.u64()
        tensor_type = reader.u32()
        last_offset = max(last_offset, reader.u64())
        parameters += elements
        type_counts[tensor_type] = type_counts.get(tensor_type, 0) + elements

    # Weights follow the header at an aligned offset; a file that ends before the last
    # tensor starts was cut short (a cut inside the last tensor is left to the loader).
    alignment = meta.get("general.alignment", 32)
    alignment = alignment if isinstance(alignment, int) and alignment > 0 else 32
    data_start = -(-reader.stream.tell() // alignment) * alignment
    if tensor_count and data_start + last_offset >= size:
        raise GGUFError(
            N_("{name} is truncated: it ends before its weights do"), path=str(path), name=path.name
        )

    arch = str(meta.get("general.architecture", ""))

    def arch_int(key: str) -> int:
        return _int(meta.get(f"{arch}.{key}"), default=0)

    return GGUFInfo(
        path=str(path),
        file_size=size,
        version=version,
        tensor_count=tensor_count,
        architecture=arch,
        name=str(meta.get("general.name", "")),
        parameter_count=parameters,
        quantization=_quantization(meta, type_counts),
        context_length=arch_int("context_length"),
        block_count=arch_int("block_count"),
        embedding_length=arch_int("embedding_length"),
        head_count=arch_int("attention.head_count"),
        head_count_kv=arch_int("attention.head_count_kv") or arch_int("attention.head_count"),
        key_length=arch_int("attention.key_length"),
        value_length=arch_int("attention.value_length"),
        chat_template=_optional_str(meta.get("tokenizer.chat_template")),
        license=_optional_str(meta.get("general.license")),
        split_count=_int(meta.get("split.count"), default=1),
        split_index=_int(meta.get("split.no"), default=0),
        metadata=meta,
    )


def _quantization(meta: dict[str, Scalar | list[Scalar]], type_counts: dict[int, int]) -> str:
    file_type = meta.get("general.file_type")
    if isinstance(file_type, int) and file_type in FILE_TYPES:
        return FILE_TYPES[file_type]
    if not type_counts:
        return ""
    # Norms stay F32 in every quant; the type holding most weights names the file.
    quantized = {t: n for t, n in type_counts.items() if t != 0} or type_counts
    dominant = max(quantized, key=lambda t: quantized[t])
    return TENSOR_TYPES.get(dominant, f"type{dominant}")


def _int(value: object, default: int) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
