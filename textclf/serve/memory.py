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
    """Blocks of threshold bytes or more get their own pages, returned when freed: glibc's threshold
    grows to 32 MB, leaving weights in heaps held at their high-water mark. 1 MB kept heavy sessions
    in budget (bench/README.md); the price, fresh pages for such blocks each step (none in C)."""
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
