"""A process's memory: giving freed memory back to the system, for processes that stay (a hosted
app) or peak later (training right after vectorising), and its resident size."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_freed_memory() -> None:
    """glibc keeps what Python and scikit-learn free (loading and vectorising leave ~40 MB each
    for all 20 groups) for reuse, and a process's resident size stays at its high-water mark;
    malloc_trim returns it. Elsewhere (no glibc) there is nothing to do."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def return_large_blocks_at_once(threshold: int = 2**20) -> None:
    """Every block of threshold bytes or more gets pages of its own, given back to the system
    the moment it is freed. glibc's default threshold grows as blocks are freed, up to 32 MB,
    after which a network's weights come from heaps that a server keeps at their high-water
    mark: releasing a run would then free little that the system sees. At 1 MB, 8 heavy
    sessions peaked at 989-1,076 MB under a 1,150 MB budget; at 4 or 16 MB, at 1,103-1,167.
    The price: a block of 1 MB or more that a training allocates at every step (the row-wise
    Adam's gathered rows, a full-table optimiser's gradient) gets fresh pages each time; the C
    path, the default, allocates none. No-op without glibc."""
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(M_MMAP_THRESHOLD, threshold)


def resident_bytes() -> int:
    """This process's resident memory now (Linux's /proc; 0 where there is none to read)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
