"""rowadam.c compiled once per machine, cached, checked and loaded by ctypes (none without a
compiler or with TEXTCLF_NATIVE=0). A cache loads only if this user alone can write it and its
size and SHA-256 are as written (it runs in-process; a truncated one raises SIGBUS), else rebuilt.
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import os
import platform
import shutil
import stat
import subprocess
import tempfile
import threading
from pathlib import Path

SOURCE = Path(__file__).with_name("rowadam.c")
_FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-shared", "-fPIC", "-pthread")
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


def _compiler() -> str | None:
    if os.environ.get("TEXTCLF_NATIVE", "1") == "0":
        return None
    return shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")


def _load() -> ctypes.CDLL | None:
    compiler = _compiler()
    if compiler is None:
        return None
    key = hashlib.sha256(
        SOURCE.read_bytes() + repr((compiler, _FLAGS, platform.machine(), _cpu())).encode()
    ).hexdigest()[:16]
    folder = _cache_folder()
    if folder is not None:
        cached = _checked(folder / f"rowadam-{key}.so")
        if cached is not None:
            return cached
    try:
        if folder is None:
            folder = _private_folder()
        return _checked(_build(compiler, folder / f"rowadam-{key}.so"))
    except (OSError, subprocess.SubprocessError):
        return None


def _owned_and_private(path: Path) -> bool:
    """path is this user's and no one else may write it (nor, for a file, is it a link)."""
    try:
        info = path.lstat()
    except OSError:
        return False
    kind_ok = stat.S_ISDIR(info.st_mode) if path.is_dir() else stat.S_ISREG(info.st_mode)
    return kind_ok and info.st_uid == os.getuid() and not info.st_mode & 0o022


def _cache_folder() -> Path | None:
    """~/.cache/textclf (or under XDG_CACHE_HOME), made private if new; None where it cannot
    be made or is not safely ours."""
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        folder = base / "textclf"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return None
    return folder if _owned_and_private(folder) and os.access(folder, os.W_OK) else None


def _private_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="textclf-kernels-"))  # mode 0700, a random name
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _digest(path: Path) -> str:
    with open(path, "rb") as file:
        return (
            f"{os.fstat(file.fileno()).st_size} {hashlib.file_digest(file, 'sha256').hexdigest()}"
        )


def _checked(library: Path) -> ctypes.CDLL | None:
    """The library loaded, if it and its recorded digest are ours and agree; else None."""
    record = library.with_suffix(".sha256")
    try:
        if not (_owned_and_private(library) and _owned_and_private(record)):
            return None
        if record.read_text().strip() != _digest(library):
            return None
        kernels = ctypes.CDLL(str(library))
        for name, (arguments, result) in SIGNATURES.items():
            function = getattr(kernels, name)
            function.argtypes, function.restype = arguments, result
    except (OSError, AttributeError):
        return None
    return kernels


def _build(compiler: str, library: Path) -> Path:
    """Compiles to a temporary name, then renames, so no process loads a half-written file;
    the digest is recorded after, so a library without its record is never trusted."""
    partial = library.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    for flags in (_FLAGS, tuple(f for f in _FLAGS if f != "-march=native")):
        done = subprocess.run(
            [compiler, *flags, str(SOURCE), "-o", str(partial), "-lm", "-lpthread"],
            capture_output=True,
            timeout=120,
        )
        if done.returncode == 0:
            os.chmod(partial, 0o700)
            digest = _digest(partial)
            os.replace(partial, library)
            record = library.with_suffix(f".{os.getpid()}.{threading.get_ident()}.record")
            record.write_text(digest)
            os.chmod(record, 0o600)
            os.replace(record, library.with_suffix(".sha256"))
            return library
    partial.unlink(missing_ok=True)
    raise OSError(done.stderr.decode(errors="replace")[-500:])


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as info:  # the instruction sets -march=native may use
            return next((line for line in info if line.startswith(("flags", "Features"))), "")
    except OSError:
        return platform.processor()
