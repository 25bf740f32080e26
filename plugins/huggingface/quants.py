"""Quant labels as GGUF repos write them in file names, and their order of quality."""

from __future__ import annotations

import re

# Lowest to highest quality, as llama.cpp's quantize tool and common model cards order them
# (size per weight grows along the list, and so does fidelity).
QUALITY_ORDER: tuple[str, ...] = (
    "IQ1_S", "IQ1_M", "TQ1_0", "IQ2_XXS", "IQ2_XS", "TQ2_0", "IQ2_S", "IQ2_M", "Q2_K_S", "Q2_K",
    "Q2_K_L", "Q2_K_XL", "IQ3_XXS", "IQ3_XS", "Q3_K_S", "IQ3_S", "IQ3_M", "Q3_K_M", "Q3_K_L",
    "Q3_K_XL", "IQ4_XS", "IQ4_NL", "Q4_0", "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "Q4_1", "MXFP4",
    "MXFP4_MOE", "Q4_K_S", "Q4_K_M", "Q4_K_L", "Q4_K_XL", "Q5_0", "Q5_1", "Q5_K_S", "Q5_K_M",
    "Q5_K_L", "Q5_K_XL", "Q6_K", "Q6_K_L", "Q6_K_XL", "Q8_0", "Q8_K_XL", "BF16", "F16", "F32",
)  # fmt: skip

# llama.cpp's `-hf user/repo` and Ollama's `hf.co/user/repo` pick this one when none is named.
DEFAULT_QUANT = "Q4_K_M"

# Past Q8_0 the output barely changes while the file doubles: never recommended when a
# quant fits (a repo holding only F16 still gets F16).
BEST_RECOMMENDED = "Q8_0"

_LABEL = re.compile(
    r"(?<![A-Za-z0-9])("
    r"I?Q[1-8](?:_K)?(?:_[01])?(?:_[48]_[48])?(?:_(?:XXS|XS|S|M|L|XL|NL))?"
    r"|TQ[12]_0|MXFP4(?:_MOE)?|BF16|F16|F32|FP16|FP32"
    r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_ALIASES: dict[str, str] = {"FP16": "F16", "FP32": "F32"}


def quant_label(file_name: str) -> str:
    """The quant a file name states (`Llama-3-8B.Q4_K_M.gguf` -> `Q4_K_M`), or ''.

    The last label in the name wins: `Q8-Coder-7B-Q4_K_M` names a Q4_K_M file.
    """
    stem = file_name.rsplit("/", 1)[-1]
    stem = re.sub(r"(?i)(-\d{5}-of-\d{5})?\.gguf$", "", stem)
    labels = _LABEL.findall(stem)
    if not labels:
        return ""
    label = str(labels[-1]).upper()
    return _ALIASES.get(label, label)


def quality_rank(label: str) -> int:
    """Position in QUALITY_ORDER; an unknown label ranks just below Q4_K_M (a middling guess)."""
    try:
        return QUALITY_ORDER.index(label.upper())
    except ValueError:
        return QUALITY_ORDER.index(DEFAULT_QUANT) - 1 if label else -1
