"""rowadam.c built and loaded by torch.utils.cpp_extension: compiled once into torch's extension
cache, one build at a time across processes, in a folder named by the source, processor and
flags. None without a C++ compiler and ninja, or with TEXTCLF_NATIVE=0; ctypes calls it."""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import threading
from pathlib import Path

SOURCE = Path(__file__).with_name("rowadam.c")
# rowadam.c is C that compiles as C++ too (cpp_extension runs the C++ driver); fp-contract=fast
# as C's default, so a multiply and an add fuse as they did
_FLAGS = ("-O3", "-fno-math-errno", "-ffp-contract=fast", "-pthread")
BUILD_SECONDS = 300  # a build takes about 2 s here: past this, training goes on without kernels
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


def buildable() -> bool:
    """Whether library() will try to build: not TEXTCLF_NATIVE=0, and a C++ compiler and ninja at
    hand. Asked without building (a page's start chooses torch's threads by it), and before
    building: without them cpp_extension prints a page of warnings before it fails."""
    compiler = shutil.which(shlex.split(os.environ.get("CXX") or "c++")[0])
    return os.environ.get("TEXTCLF_NATIVE", "1") != "0" and bool(compiler and shutil.which("ninja"))


def _load() -> ctypes.CDLL | None:
    if not buildable():
        return None
    from torch.utils import cpp_extension  # here: it imports setuptools, which only a build needs

    root = Path(os.environ.get("TORCH_EXTENSIONS_DIR") or cpp_extension.get_default_build_root())
    for flags in (("-march=native", *_FLAGS), _FLAGS):
        # a folder of its own: no process rebuilds a library another has loaded, and code built
        # for one processor (-march=native) never runs on another
        key = hashlib.sha256(SOURCE.read_bytes() + (_cpu() + repr(flags)).encode()).hexdigest()
        folder = root / f"textclf_rowadam_{key[:12]}"
        try:
            kernels = ctypes.CDLL(_within(BUILD_SECONDS, _build, cpp_extension, folder, flags))
        except TimeoutError:
            return None
        except (OSError, RuntimeError, subprocess.SubprocessError, ImportError):  # no build
            continue
        for function, (arguments, result) in SIGNATURES.items():
            getattr(kernels, function).argtypes = arguments
            getattr(kernels, function).restype = result
        return kernels
    return None


def _build(cpp_extension, folder: Path, flags: tuple[str, ...]) -> str:
    """cpp_extension.load under a lock of ours that dies with its process (flock): while it is
    held no other build runs here, so a lock file of cpp_extension's is one a killed build left,
    on which cpp_extension would wait for ever."""
    import fcntl  # POSIX: elsewhere, no kernels

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "textclf.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        (folder / "lock").unlink(missing_ok=True)
        return cpp_extension.load(folder.name, [str(SOURCE)], extra_cflags=list(flags),
                                  extra_ldflags=["-lm"], build_directory=str(folder),
                                  is_python_module=False)  # fmt: skip


def _within(seconds: float, call, *args, **kwargs):
    """call(*args, **kwargs) on a thread of its own, given up (TimeoutError) after `seconds`."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append((True, call(*args, **kwargs)))
        except BaseException as error:  # handed to the caller
            outcome.append((False, error))

    worker = threading.Thread(target=run, daemon=True, name="textclf-kernel-build")
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise TimeoutError(f"building the kernels took over {seconds} s")
    finished, value = outcome[0]
    if not finished:
        raise value
    return value


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as info:  # the instruction sets -march=native may use
            return next((line for line in info if line.startswith(("flags", "Features"))), "")
    except OSError:
        return platform.processor()
