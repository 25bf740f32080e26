"""Build the one-folder bundle: `python packaging/build.py [--dist DIR] [--work DIR]`.

Runs PyInstaller on packaging/llamadesk.spec with the environment Kivy needs
during a build, then prints where the bundle is, its size and how long it took.
Works the same on Linux, Windows and macOS (run it with the project's Python).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "llamadesk.spec"
NAME = "llamadesk"


def build_env(kivy_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        # Kivy logs through Python's logging, so PyInstaller's --log-level quiets it too
        # (with Kivy's own logger, a build log runs to 160,000 lines).
        KIVY_LOG_MODE="PYTHON",
        KIVY_NO_ARGS="1",
        KIVY_NO_CONSOLELOG="1",
        # The hooks import Kivy; keep its config writes out of the user's ~/.kivy.
        KIVY_HOME=str(kivy_home),
    )
    return env


def quiet_kivy_home(folder: Path) -> Path:
    """A KIVY_HOME whose config keeps Kivy to errors: PyInstaller's hook subprocesses import
    Kivy, which would otherwise log every provider it probes (and a libmtdev traceback)."""
    (folder / "config.ini").write_text("[kivy]\nlog_level = critical\nlog_enable = 0\n")
    return folder


def build(dist: Path, work: Path) -> Path:
    """Run PyInstaller; return the bundle folder. Raises CalledProcessError on failure."""
    with tempfile.TemporaryDirectory(prefix="llamadesk-kivy-") as kivy_home:
        quiet_kivy_home(Path(kivy_home))
        subprocess.run(
            [
                sys.executable, "-m", "PyInstaller",
                "--noconfirm",
                "--log-level", "WARN",
                "--distpath", str(dist),
                "--workpath", str(work),
                str(SPEC),
            ],
            check=True,
            cwd=ROOT,
            env=build_env(Path(kivy_home)),
        )  # fmt: skip
    return dist / NAME


def executable(bundle: Path) -> Path:
    return bundle / (NAME + ".exe" if sys.platform == "win32" else NAME)


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the bundle folder goes")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's work folder"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    bundle = build(args.dist.resolve(), args.work.resolve())
    seconds = time.perf_counter() - started
    print(f"bundle: {bundle}")
    print(f"run:    {executable(bundle)} --self-test")
    print(f"size:   {folder_size(bundle) / 1e6:.1f} MB, built in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
