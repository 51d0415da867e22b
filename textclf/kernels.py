"""The C kernels of rowadam.c, compiled once per machine with its C compiler and loaded by ctypes.

Training needs nothing here: without a compiler (or with TEXTCLF_NATIVE=0) RowAdam's PyTorch
ops do the same arithmetic, about 2x slower (3 groups: 0.83-0.98 s against 0.37-0.45 s). The
library is cached under the user's cache folder (~/.cache/textclf), named by a hash of the
source, the compiler and the CPU, so a changed source or a different machine builds its own; it
is written under a temporary name and renamed, so processes building at once never load a
half-written file.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import math
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

SOURCE = Path(__file__).with_name("rowadam.c")
_BUILDING = threading.Lock()
_NOT_YET = object()
_LOADED = [_NOT_YET]
_FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-shared", "-fPIC", "-pthread")

_P, _I = ctypes.c_void_p, ctypes.c_int64
_F = ctypes.c_float
_D = ctypes.c_double
SIGNATURES = {
    "row_factors": ([_P, _I, _P, _I, _I, _P, _I, _P, _P, _P, _D, _D, _D, _P, _P, _P, _P], None),
    "gather_start": ([_P, _P, _P, _P, _I, _I, _P, _P, _P, _P, _P, _P], _P),
    "gather_finish": ([_P], _I),
    "walk_rows": (
        [_P, _P, _P, _I, _P, _P, _P, _P, _P, _I, _P, _P] + [_F] * 6
        + [_P, _I, _P, _P, _P, _P, _P, _P, _I, _I],
        None,
    ),
    "walk_parts": ([], _I),
    "sparse_products": ([_P, _P, _P, _I, _P, _I, _P, _I], None),
    "catch_up": ([_P, _P, _P, _I, _I, _I, _P, _P, _P, _P, _I], None),
}  # fmt: skip


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as info:  # the instruction sets -march=native may use
            return next((line for line in info if line.startswith(("flags", "Features"))), "")
    except OSError:
        return platform.processor()


def _cache_folder() -> Path:
    try:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "textclf"
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        pass
    # No cache of our own: a private folder for this process (a shared, guessable one in /tmp
    # could hold a library someone else put there), so the kernels build once per process.
    return Path(tempfile.mkdtemp(prefix="textclf-kernels-"))


def _build(compiler: str, library: Path) -> None:
    partial = library.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    for flags in (_FLAGS, tuple(f for f in _FLAGS if f != "-march=native")):
        done = subprocess.run(
            [compiler, *flags, str(SOURCE), "-o", str(partial), "-lm", "-lpthread"],
            capture_output=True,
            timeout=120,
        )
        if done.returncode == 0:
            os.replace(partial, library)
            return
    raise OSError(done.stderr.decode(errors="replace")[-500:])


@functools.cache
def available_cores() -> int:
    """The cores this process may use: its CPU affinity, capped by a container's CPU quota (a
    hosted demo's container often sees every core of the host but may use only one or two)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota: the affinity is the limit
    return max(1, cores or 1)


def load() -> ctypes.CDLL | None:
    """The kernels, or None where they cannot be built (then training uses PyTorch's ops);
    built and loaded once per process, sessions' threads asking meanwhile waiting for them."""
    with _BUILDING:
        if _LOADED[0] is _NOT_YET:
            _LOADED[0] = _load()
        return _LOADED[0]


def forget() -> None:
    """The next load() looks for the kernels afresh (tests change the environment)."""
    with _BUILDING:
        _LOADED[0] = _NOT_YET


def _load() -> ctypes.CDLL | None:
    if os.environ.get("TEXTCLF_NATIVE", "1") == "0":
        return None
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if compiler is None:
        return None
    key = hashlib.sha256(
        SOURCE.read_bytes() + repr((compiler, _FLAGS, platform.machine(), _cpu())).encode()
    ).hexdigest()[:16]
    try:
        library = _cache_folder() / f"rowadam-{key}.so"
        if not library.exists():
            _build(compiler, library)
        kernels = ctypes.CDLL(str(library))
    except (OSError, subprocess.SubprocessError):
        return None
    for name, (arguments, result) in SIGNATURES.items():
        function = getattr(kernels, name)
        function.argtypes, function.restype = arguments, result
    return kernels
