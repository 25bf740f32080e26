"""Loading the plugin must not cost every `llamadesk` command huggingface_hub's import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECK = """
import sys
from llamadesk.core.app import App
with App(load_entrypoints=False) as app:
    assert "hub.search" in app.commands.ids()
    print("huggingface_hub" in sys.modules, "httpx2" in sys.modules)
"""


def test_app_start_does_not_import_huggingface_hub(home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
