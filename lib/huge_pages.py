"""Huge pages for the model processes we start.

Generating a token streams every weight through the CPU once. With 4 KiB pages a
100 MB model is 25,000 pages, and the TLB misses show: weights read into memory
that sits on 2 MiB transparent huge pages generate 4-7% faster on a CPU
(benchmarks/README.md). Linux hands huge pages to a region only when it is asked to
(`madvise`, the common default of /sys/kernel/mm/transparent_hugepage/enabled), and
llama.cpp does not ask. glibc will, for every large allocation, when the tunable
`glibc.malloc.hugetlb=1` is set, but it reads tunables only when a process starts.
So the setting goes into the environment of the processes that load models: the
llama.cpp workers and a llama-server.

A file mapped with mmap gets no huge pages this way; that is why LoadOptions reads
the weights into memory by default on Linux (`use_mmap` off). Elsewhere, and with
other C libraries, the variable means nothing.
"""

from __future__ import annotations

import os
import sys

TUNABLE = "glibc.malloc.hugetlb"


def allow_huge_pages_in_children() -> None:
    """Set the glibc tunable in this process's environment, which every child started
    from now on inherits (multiprocessing offers no environment of a child's own). A
    value the user set already is kept."""
    if not sys.platform.startswith("linux"):
        return
    current = os.environ.get("GLIBC_TUNABLES", "")
    if TUNABLE in current:
        return
    setting = f"{TUNABLE}=1"
    os.environ["GLIBC_TUNABLES"] = f"{current}:{setting}" if current else setting
