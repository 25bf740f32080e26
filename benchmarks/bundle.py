"""Bundle benchmark: build time, size, launch to first frame, self-test with generation.

    python benchmarks/bundle.py [--bundle dist/llamadesk] [--runs 3]

Builds the bundle into a temp folder (or measures an existing one with --bundle),
then runs the bundle and, as the baseline in the same run, the same app from this
virtualenv (`llamadesk` beside sys.executable). Prints medians and bundle/venv
ratios, against the targets of issue #8: <= 150 MB without models, first frame
<= 2.5 s, self-test with generation <= 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from llamadesk.core.starter_model import ensure_starter_model  # noqa: E402

TEST_CACHE = Path(os.environ.get("LLAMADESK_TEST_CACHE", Path.home() / ".cache" / "llamadesk-tests"))
VENV_EXE = Path(sys.executable).parent / "llamadesk"
TARGET_MB, TARGET_FRAME_S, TARGET_SELF_TEST_S = 150.0, 2.5, 10.0
HANG_GUARD = 120


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "LLAMADESK_"))}
    env.update(LLAMADESK_HOME=str(home), **extra)
    return env


def build(out: Path) -> tuple[Path, float]:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py"), "--dist", str(out / "dist"), "--work", str(out / "work")],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out / "dist" / "llamadesk", time.perf_counter() - started


def sizes(bundle: Path) -> tuple[int, list[tuple[str, int]]]:
    """Total bytes (symlinks not counted twice) and the biggest top-level parts of _internal."""
    parts: dict[str, int] = {}
    total = 0
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            size = path.stat().st_size
            total += size
            rel = path.relative_to(bundle).parts
            key = "/".join(rel[:2]) if rel[0] == "_internal" and len(rel) > 1 else rel[0]
            parts[key] = parts.get(key, 0) + size
    return total, sorted(parts.items(), key=lambda kv: -kv[1])[:10]


def first_frame_seconds(exe: Path) -> float:
    """Wall time from starting the process to the window's first drawn frame (offscreen)."""
    with tempfile.TemporaryDirectory() as tmp:
        marker = Path(tmp) / "frame.json"
        env = clean_env(
            Path(tmp) / "home",
            SDL_VIDEODRIVER="offscreen",
            KIVY_HOME=str(Path(tmp) / "kivy"),
            KIVY_NO_CONSOLELOG="1",
            LLAMADESK_FIRST_FRAME_FILE=str(marker),
            LLAMADESK_QUIT_AFTER="0.2",
        )
        started = time.time()
        subprocess.run([str(exe)], env=env, capture_output=True, timeout=HANG_GUARD, check=True)
        return float(json.loads(marker.read_text())["time"]) - started


def self_test_seconds(exe: Path, model: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run(
            [str(exe), "--self-test", "--model", str(model)],
            env=clean_env(Path(tmp) / "home"), capture_output=True, timeout=HANG_GUARD, check=True,
        )  # fmt: skip
        return time.perf_counter() - started


def median_of(runs: int, measure: Callable[[], float]) -> float:
    measure()  # warm the file cache: the first start after a build reads everything from disk
    return statistics.median(measure() for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="measure this bundle folder instead of building one")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    model = ensure_starter_model(TEST_CACHE)

    with tempfile.TemporaryDirectory(prefix="llamadesk-bench-") as tmp:
        build_s = None
        bundle = args.bundle
        if bundle is None:
            bundle, build_s = build(Path(tmp))
        exe = bundle / ("llamadesk.exe" if sys.platform == "win32" else "llamadesk")
        total, biggest = sizes(bundle)

        frame_bundle = median_of(args.runs, lambda: first_frame_seconds(exe))
        frame_venv = median_of(args.runs, lambda: first_frame_seconds(VENV_EXE))
        test_bundle = median_of(args.runs, lambda: self_test_seconds(exe, model))
        test_venv = median_of(args.runs, lambda: self_test_seconds(VENV_EXE, model))

    print(f"bundle benchmark ({os.cpu_count()} CPUs, medians of {args.runs} runs after one warm-up)")
    if build_s is not None:
        print(f"  build time            {build_s:7.1f} s")
    print(f"  bundle size           {total / 1e6:7.1f} MB   target <= {TARGET_MB:.0f} MB")
    for name, size in biggest:
        print(f"      {size / 1e6:6.1f} MB  {name}")
    print(
        f"  first frame           {frame_bundle:7.2f} s    target <= {TARGET_FRAME_S} s"
        f"   venv {frame_venv:.2f} s, ratio {frame_bundle / frame_venv:.2f}x"
    )
    print(
        f"  self-test + generate  {test_bundle:7.2f} s    target <= {TARGET_SELF_TEST_S:.0f} s"
        f"   venv {test_venv:.2f} s, ratio {test_bundle / test_venv:.2f}x"
    )
    met = total / 1e6 <= TARGET_MB and frame_bundle <= TARGET_FRAME_S and test_bundle <= TARGET_SELF_TEST_S
    print(f"  targets {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
