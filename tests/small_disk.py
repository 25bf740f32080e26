"""A real file system that fills up: a small tmpfs mounted for one test, filled on purpose.

Mounting needs root, which CI has (it runs as root on Debian). Without it the test fails
with a sentence saying so: nothing is skipped for a missing part.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024


@dataclass
class SmallDisk:
    root: Path
    size: int

    def free(self) -> int:
        stat = os.statvfs(self.root)
        return stat.f_bavail * stat.f_frsize

    def fill(self, leave: int = 0, name: str = "filler") -> Path:
        """Write a file until only `leave` bytes are free (another program filling the disk)."""
        path = self.root / name
        piece = b"\xa5" * MB
        with path.open("ab") as out:
            while True:
                room = self.free() - leave
                if room <= 0:
                    break
                try:
                    out.write(piece[: min(len(piece), room)])
                    out.flush()
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
        return path

    def release(self, name: str = "filler") -> None:
        (self.root / name).unlink(missing_ok=True)

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file())


@contextlib.contextmanager
def small_disk(mount_point: Path, size: int) -> Iterator[SmallDisk]:
    """A tmpfs of `size` bytes at `mount_point`, unmounted afterwards."""
    if os.geteuid() != 0:
        raise RuntimeError(
            "this test mounts a small tmpfs to fill a real disk, which needs root (CI runs as root); "
            "run it as root, e.g. in the CI container"
        )
    mount_point.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount_point)],
        check=True,
        capture_output=True,
    )
    try:
        yield SmallDisk(mount_point, size)
    finally:
        done = subprocess.run(["umount", str(mount_point)], check=False, capture_output=True)
        if done.returncode != 0:  # a file still open (a thread of the test): detach it anyway
            subprocess.run(["umount", "-l", str(mount_point)], check=False, capture_output=True)
