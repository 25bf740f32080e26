"""When a download opens another connection: only while one more can make it faster.

Parallel ranges pay when the network is the limit (a far server, a CDN that paces
each connection); when our own CPU work is (loopback, a LAN), more threads
only take the cores from the hash, which follows the download and must end with
it. So a transfer starts with one connection and adds one every `every_s` while it
runs below `fast_link` bytes/s and its workers are not running most of the time
(Linux's per-thread schedstat says): they wait on the network, where parallel
ranges help, or for a core other programs hold, where more threads get the pull a
bigger share of the machine. Workers that run most of the time are the limit
themselves, and another one would only take the second core from the hash.
"""

from __future__ import annotations

import time
from pathlib import Path

# Workers that ran more than this share of the time are CPU-bound.
CPU_BOUND = 0.5


class ConnectionRamp:
    def __init__(self, every_s: float, fast_link: float) -> None:
        self.every_s = every_s
        self.fast_link = fast_link
        self._at = time.monotonic()
        self._received = 0
        self._busy_ns: dict[int, int] = {}

    @property
    def enabled(self) -> bool:
        return self.every_s > 0

    def worth_another(self, received: int, worker_ids: list[int]) -> bool:
        """Called now and then with the bytes received so far and the workers' thread ids."""
        now = time.monotonic()
        interval = now - self._at
        if not self.enabled or interval < self.every_s:
            return False
        rate = (received - self._received) / interval
        known, busy = self._busy_share(worker_ids, interval)
        self._at, self._received = now, received
        if not known:  # a worker seen for the first time: judge it over the next interval
            return False
        return rate < self.fast_link and (busy is None or busy < CPU_BOUND)

    def _busy_share(self, worker_ids: list[int], interval: float) -> tuple[bool, float | None]:
        """(every worker measured before?, their mean share of the interval spent running;
        None where the system does not say, and the rate alone decides)."""
        shares = []
        known = True
        for tid in worker_ids:
            busy = _running_ns(tid)
            if busy is None:
                return True, None
            before = self._busy_ns.get(tid)
            self._busy_ns[tid] = busy
            if before is None:
                known = False
            else:
                shares.append((busy - before) / 1e9 / interval)
        return known, (sum(shares) / len(shares) if shares else None)


def _running_ns(tid: int) -> int | None:
    """Nanoseconds a thread of this process has run (Linux; schedstat's first field, the
    second being the time it waited on a run queue)."""
    try:
        return int(Path(f"/proc/self/task/{tid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
