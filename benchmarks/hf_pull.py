"""Hugging Face pulls: llamadesk's `models.pull hf.co/...` versus huggingface_hub's `hf_hub_download`.

A GGUF-headed file of random bytes is served by the test hub (tests/plugins/huggingface/
hub_server.py, on 127.0.0.1) and fetched in the same run by `hf_hub_download` (baseline:
what `hf download` does) and by `app.library.pull()` (sha256-verified while streaming,
fsynced, manifest committed atomically). Then the same pull with the file already in the
Hugging Face cache: linked after a sha256 check instead of downloaded. Prints the medians
and the ratios.

    .venv/bin/python -m benchmarks.hf_pull [--mb 256] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a script too

from tests.plugins.huggingface.hub_server import HubFile, HubRepo, HubServer

REPO = "bench/Big-GGUF"
FILE = "big-Q4_K_M.gguf"


def make_file(path: Path, megabytes: int) -> None:
    with path.open("wb") as out:
        out.write(b"GGUF")
        for _ in range(megabytes):
            out.write(os.urandom(1024 * 1024))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=256, help="file size in MiB (default 256)")
    parser.add_argument("--rounds", type=int, default=3, help="fetches of each kind; the median is kept")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="llamadesk-bench-") as tmp:
        root = Path(tmp)
        source = root / FILE
        make_file(source, args.mb)
        server = HubServer().start()
        server.add(HubRepo(REPO, [HubFile(FILE, source)]))
        hf_home = root / "hf-home"
        os.environ.update(
            {
                "LLAMADESK_HOME": str(root / "home"),
                "HF_HOME": str(hf_home),
                "HF_HUB_DISABLE_TELEMETRY": "1",
                "NO_PROXY": "127.0.0.1",
            }
        )
        from huggingface_hub import hf_hub_download

        from llamadesk.core.app import App

        app = App(load_entrypoints=False).start()
        app.config.update({"huggingface.endpoint": server.url})
        size = source.stat().st_size
        baseline, ours, reused = [], [], []
        try:
            for _ in range(args.rounds):
                shutil.rmtree(hf_home, ignore_errors=True)
                started = time.perf_counter()
                hf_hub_download(REPO, FILE, endpoint=server.url, cache_dir=root / "baseline-cache")
                baseline.append(time.perf_counter() - started)
                shutil.rmtree(root / "baseline-cache")

                shutil.rmtree(app.models_dir, ignore_errors=True)
                started = time.perf_counter()
                app.library.pull(f"hf.co/{REPO}:Q4_K_M")
                ours.append(time.perf_counter() - started)

                # The same file already in the Hugging Face cache (as `hf download` leaves it).
                blob = app.models_dir / "blobs" / f"sha256-{server.repos[REPO].files[0].sha256}"
                cached = hf_home / "hub" / "models--bench--Big-GGUF" / "blobs" / blob.name[len("sha256-") :]
                cached.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(blob, cached)
                shutil.rmtree(app.models_dir)
                started = time.perf_counter()
                app.library.pull(f"hf.co/{REPO}:Q4_K_M")
                reused.append(time.perf_counter() - started)
        finally:
            app.close()
            server.stop()

    def rate(seconds: float) -> str:
        return f"{size / seconds / 1e6:7.1f} MB/s ({seconds:.2f} s)"

    b, o, r = (statistics.median(x) for x in (baseline, ours, reused))
    print(f"file: {size / 1e6:.0f} MB, {args.rounds} rounds, medians")
    print(f"hf_hub_download (baseline): {rate(b)}")
    print(f"llamadesk pull:             {rate(o)}  = {b / o:.2f}x baseline speed")
    print(f"pull, file in HF cache:     {rate(r)}  = {b / r:.2f}x baseline speed (no download)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
