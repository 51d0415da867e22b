"""Giving freed memory back to the system, for processes that stay (a hosted app) or peak later
(training right after vectorising)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


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
