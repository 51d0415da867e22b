"""A process's memory: giving freed memory back to the system, for processes that stay (a hosted
app) or peak later (training right after vectorising); its resident size; and the runs that a
server's sessions keep, released oldest first when the server must stay within its budget."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable


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


class KeptRuns:
    """Every run the sessions of one server keep, the least recently shown first, so that the
    server can stay within its memory however many visitors keep how many runs: when it must,
    it releases the oldest runs' weights (run.release(): their scores, curves and snapshots
    stay, and a page that shows one again retrains it from its settings and seed). Holds the
    runs weakly: a closed session's runs go when it goes. Shared by every session's thread."""

    def __init__(self):
        self._runs: OrderedDict[int, weakref.ref] = OrderedDict()
        self._drawing: dict[int, int] = {}  # id(run) -> pages drawing it now
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def showing(self, run):
        """While a page draws run, no other session's training releases it; afterwards it is
        the last to be released."""
        with self._lock:
            self._drawing[id(run)] = self._drawing.get(id(run), 0) + 1
        try:
            yield run
        finally:
            with self._lock:
                self._drawing[id(run)] -= 1
                if not self._drawing[id(run)]:
                    del self._drawing[id(run)]
                self._runs.pop(id(run), None)
                self._runs[id(run)] = weakref.ref(run)

    def release_until(self, fits: Callable[[], bool], spare=()) -> int:
        """Releases the least recently shown runs, but those in spare, until fits() is true or
        none is left; returns how many it released."""
        released = 0
        while not fits():
            with self._lock:
                victim = self._oldest_releasable(spare)
                if victim is None:
                    return released
                self._runs.pop(id(victim), None)
                victim.release()  # under the lock: showing() then sees it released, or holds it
            released += 1
            release_freed_memory()
        return released

    def _oldest_releasable(self, spare):
        """The least recently shown run that is not being drawn, released or spared; forgets
        on the way the runs of closed sessions. Under the lock."""
        for key, ref in list(self._runs.items()):
            run = ref()
            if run is None:
                del self._runs[key]
            elif not (run.released or key in self._drawing or any(run is s for s in spare)):
                return run
        return None

    def drawing(self) -> int:
        """How many pages are drawing a run now: memory that is about to be given back."""
        with self._lock:
            return len(self._drawing)

    def __len__(self) -> int:
        with self._lock:
            return sum(ref() is not None for ref in self._runs.values())
