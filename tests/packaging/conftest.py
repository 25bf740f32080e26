"""The PyInstaller bundle, built once per test session by packaging/build.py, and ways to run it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "packaging" / "build.py"
EXAMPLE_PLUGIN = ROOT / "examples" / "hello-plugin"
# A cold build takes about a minute on 2 cores; this only guards a hang.
BUILD_TIMEOUT = 900


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-folder bundle, built from this checkout into a temp folder."""
    out = tmp_path_factory.mktemp("bundle")
    done = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--dist", str(out / "dist"), "--work", str(out / "work")],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"bundle build failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return out / "dist" / "llamadesk"


@pytest.fixture(scope="session")
def bundle_exe(bundle: Path) -> Path:
    exe = bundle / ("llamadesk.exe" if sys.platform == "win32" else "llamadesk")
    assert exe.is_file(), f"no executable in {bundle}: {sorted(p.name for p in bundle.iterdir())}"
    return exe


def bundle_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a machine with no Python: nothing from this venv leaks in."""
    # SSL_CERT_*: this machine points OpenSSL at its CA bundle; a user's machine does not.
    dropped = ("PYTHON", "VIRTUAL_ENV", "KIVY_", "SSL_CERT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    env["LLAMADESK_HOME"] = str(home)
    env.pop("LLAMADESK_PLUGINS", None)
    env.update(extra)
    return env


def run_bundle(
    exe: Path, *args: str, home: Path, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *args],
        capture_output=True, text=True, timeout=timeout, check=False,
        env=bundle_env(home, **(env or {})), cwd=home.parent,
    )  # fmt: skip
