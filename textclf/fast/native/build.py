"""rowadam.c built and loaded by torch.utils.cpp_extension: compiled once into torch's extension
cache, rebuilt when the source or flags change, one build at a time across processes. None
without a compiler and ninja, or with TEXTCLF_NATIVE=0; ctypes calls the C functions."""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import subprocess
import threading
from pathlib import Path

SOURCE = Path(__file__).with_name("rowadam.c")
# cpp_extension runs the C++ driver; gcc's "-x c" has it compile the kernels as the C they are
_FLAGS = ("-x", "c", "-O3", "-fno-math-errno", "-pthread")
_LOCK = threading.Lock()
_NOT_YET = object()
_LOADED = [_NOT_YET]

_P, _I, _F, _D = ctypes.c_void_p, ctypes.c_int64, ctypes.c_float, ctypes.c_double
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
    "catch_up": ([_P, _P, _P, _I, _I, _I, _P, _P, _P, _P, _I], None),
}  # fmt: skip


def library() -> ctypes.CDLL | None:
    """The kernels, or None where there are none (training then uses PyTorch's ops). Loaded
    once per process, sessions' threads asking meanwhile waiting. Only training asks: a
    prediction or an explanation never waits for a compiler."""
    with _LOCK:
        if _LOADED[0] is _NOT_YET:
            _LOADED[0] = _load()
        return _LOADED[0]


def forget() -> None:
    """The next library() looks for the kernels afresh (tests change the environment)."""
    with _LOCK:
        _LOADED[0] = _NOT_YET


def _load() -> ctypes.CDLL | None:
    if os.environ.get("TEXTCLF_NATIVE", "1") == "0":
        return None
    from torch.utils import cpp_extension  # here: it imports setuptools, which only a build needs

    # named by the source and the processor, so that no process rebuilds a library another has
    # loaded, and -march=native code built on one processor is never run on another
    key = hashlib.sha256(SOURCE.read_bytes() + _cpu().encode()).hexdigest()[:12]
    name = f"textclf_rowadam_{key}"
    for flags in (("-march=native", *_FLAGS), _FLAGS):
        try:
            path = cpp_extension.load(name, [str(SOURCE)], extra_cflags=list(flags),
                                      extra_ldflags=["-lm"], is_python_module=False)  # fmt: skip
            kernels = ctypes.CDLL(path)
        except (OSError, RuntimeError, subprocess.SubprocessError):  # no compiler, no ninja
            continue
        for function, (arguments, result) in SIGNATURES.items():
            getattr(kernels, function).argtypes = arguments
            getattr(kernels, function).restype = result
        return kernels
    return None


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as info:  # the instruction sets -march=native may use
            return next((line for line in info if line.startswith(("flags", "Features"))), "")
    except OSError:
        return platform.processor()
