"""Pull throughput: llamadesk (sha256-verified, fsynced, atomically committed) versus curl.

A >= 500 MB blob of random bytes is generated, pushed to a local docker-registry
as an Ollama model layer, then fetched in the same run, rounds interleaved, by
`curl -o` (baseline: no verification, no fsync), by `curl -o` followed by an
fsync of the file, and by `app.library.pull()` (manifest, config blob, ranged
parallel download, sha256 while streaming, fsync, atomic rename, manifest
write). Prints the medians and the ratios; the target is >= 0.8x curl. Also
prints the CPU seconds each spent (the registry's excluded) and the load
average, since on a shared machine the wall times follow the neighbours' load.

    .venv/bin/python -m benchmarks.pull_throughput [--mb 512] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a script too

from tests.plugins.oci.registry_server import Blob, RegistryServer


def make_blob(path: Path, megabytes: int) -> None:
    with path.open("wb") as out:
        out.write(b"GGUF")
        for _ in range(megabytes):
            out.write(os.urandom(1024 * 1024))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=512, help="blob size in MiB (default 512)")
    parser.add_argument("--rounds", type=int, default=3, help="fetches of each kind; the median is kept")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="llamadesk-bench-") as tmp:
        root = Path(tmp)
        blob_file = root / "blob.bin"
        make_blob(blob_file, args.mb)
        weights = Blob("application/vnd.ollama.image.model", path=blob_file)
        config = Blob("application/vnd.docker.container.image.v1+json", data=b'{"model_format":"gguf"}')
        digest, size = weights.digest, weights.size
        with RegistryServer(root / "registry") as registry:
            registry.push_model("bench/big", "latest", config, [weights])
            url = f"{registry.url}/v2/bench/big/blobs/{digest}"
            os.environ["LLAMADESK_HOME"] = str(root / "home")
            from llamadesk.core.app import App

            app = App(load_entrypoints=False).start()
            ref = f"{registry.host}/bench/big:latest"
            curl_times, curl_durable, ours = [], [], []
            curl_cpu, ours_cpu = [], []
            load_before = os.getloadavg()
            try:
                for _ in range(args.rounds):
                    target = root / "curl.out"
                    children = cpu_seconds(resource.RUSAGE_CHILDREN)
                    started = time.perf_counter()
                    subprocess.run(["curl", "-sS", "--fail", "-o", str(target), url], check=True)
                    curl_times.append(time.perf_counter() - started)
                    curl_cpu.append(cpu_seconds(resource.RUSAGE_CHILDREN) - children)
                    assert target.stat().st_size == size
                    target.unlink()

                    # The same, made durable like our commit is: curl, then fsync the file.
                    started = time.perf_counter()
                    subprocess.run(["curl", "-sS", "--fail", "-o", str(target), url], check=True)
                    fd = os.open(target, os.O_RDONLY)
                    os.fsync(fd)
                    os.close(fd)
                    curl_durable.append(time.perf_counter() - started)
                    target.unlink()

                    own = cpu_seconds(resource.RUSAGE_SELF)
                    started = time.perf_counter()
                    result = app.library.pull(ref)
                    ours.append(time.perf_counter() - started)
                    ours_cpu.append(cpu_seconds(resource.RUSAGE_SELF) - own)
                    assert result.downloaded == result.size
                    path = app.library.resolve_model_path(ref)
                    assert path.stat().st_size == size
                    app.library.remove(ref)
            finally:
                app.close()
            load_after = os.getloadavg()
        hash_started = time.perf_counter()
        check = hashlib.sha256()
        with blob_file.open("rb") as fh:
            while piece := fh.read(8 << 20):
                check.update(piece)
        assert "sha256:" + check.hexdigest() == digest
        hash_s = time.perf_counter() - hash_started

    curl_s, ours_s = statistics.median(curl_times), statistics.median(ours)
    durable_s = statistics.median(curl_durable)
    mb = size / 1e6
    print(f"blob: {mb:.0f} MB, {args.rounds} rounds, median")
    print(
        f"curl -o (no verify, no fsync): {curl_s:.2f} s  {mb / curl_s:7.0f} MB/s   all: {[round(t, 2) for t in curl_times]}"
    )
    print(
        f"llamadesk pull (sha256, fsync): {ours_s:.2f} s  {mb / ours_s:7.0f} MB/s   all: {[round(t, 2) for t in ours]}"
    )
    print(f"ratio llamadesk/curl throughput: {curl_s / ours_s:.2f}x (target >= 0.8x)")
    print(f"ratio llamadesk/(curl + fsync):  {durable_s / ours_s:.2f}x")
    print(
        f"cpu s (user+sys, median): curl {statistics.median(curl_cpu):.2f}, "
        f"llamadesk {statistics.median(ours_cpu):.2f}; sha256 of the blob from the page cache, "
        f"one thread: {hash_s:.2f} s"
    )
    print(f"load average (1, 5, 15 min): before {_load(load_before)}, after {_load(load_after)}")
    return 0


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    sys.exit(main())
