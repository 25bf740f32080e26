"""Running the real `llamadesk` executable in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "llamadesk"


def cli_env(home: Path) -> dict[str, str]:
    return {**os.environ, "LLAMADESK_HOME": str(home)}


def run_cli(
    *args: str, home: Path, env: dict[str, str] | None = None, timeout: float = 60, input: str | None = None
):
    full_env = {**cli_env(home), **(env or {})}
    return subprocess.run(
        [str(BIN), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
        input=input,
    )
