"""What the GGUF header says about a model file."""

from __future__ import annotations

import re

from pydantic import Field

from .base import Record

Scalar = str | int | float | bool

# A shard of a split GGUF, as llama.cpp's gguf-split names them: `name-00001-of-00003.gguf`.
SPLIT_FILE_NAME = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)


class GGUFInfo(Record):
    """Metadata read from a GGUF header; tensors' data is never read."""

    path: str
    file_size: int = Field(description="Bytes of this file (one shard of a split model).")
    version: int
    tensor_count: int
    architecture: str = Field("", description="llama, qwen2, gemma3, ...")
    name: str = ""
    parameter_count: int = Field(0, description="Weights in this file, summed over its tensors.")
    quantization: str = Field("", description="File type like Q4_K_M, from general.file_type or the tensors.")
    context_length: int = Field(0, description="Context the model was trained for.")
    block_count: int = Field(0, description="Transformer layers.")
    embedding_length: int = 0
    head_count: int = 0
    head_count_kv: int = 0
    key_length: int = Field(
        0, description="Per-head key size; 0 when the header leaves it to embedding/heads."
    )
    value_length: int = 0
    chat_template: str | None = None
    license: str | None = None
    split_count: int = Field(1, description="Shards of a split GGUF; this file is shard split_index.")
    split_index: int = 0
    metadata: dict[str, Scalar | list[Scalar]] = Field(
        default_factory=dict, description="All scalar keys; long arrays shortened to their first items."
    )
