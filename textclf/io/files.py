"""Reading a file a stranger names: a regular file only, and never more bytes than a cap."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class FileRefused(ValueError):
    """A path that cannot be read as asked, said in one sentence that names it; size: at least
    how many bytes it holds, when that is the reason."""

    def __init__(self, message: str, size: int | None = None):
        super().__init__(message)
        self.size = size


def read_capped(path: str | Path, cap: int, wanted: str = "a saved file") -> bytes:
    """The bytes of the regular file at path; FileRefused for anything else (reading /dev/zero never
    ends), a file over cap bytes or one that cannot be opened. The opened descriptor is checked
    (fstat), so the path cannot be swapped; the read stops at cap + 1 bytes if the file grows."""
    try:
        return _read(path, cap)
    except FileRefused as refusal:
        if refusal.size is None:  # the whole path: /dev/zero says more than zero
            raise FileRefused(f"{path} is not a regular file but a device, a pipe or a folder: "
                              f"give the path of {wanted}") from None  # fmt: skip
        message = f"{path} is larger than the limit of {cap / 2**20:,.0f} MB"
        raise FileRefused(message, refusal.size) from None
    except FileNotFoundError:
        raise FileRefused(f"{path}: no such file") from None
    except (OSError, ValueError) as error:  # ValueError: a path with a NUL in it
        reason = getattr(error, "strerror", None) or error
        raise FileRefused(f"{path}: cannot be read ({reason})") from None


def _read(path: str | Path, cap: int) -> bytes:
    # O_NONBLOCK: opening a named pipe would otherwise wait for a writer; regular files ignore it
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("not a regular file")
        if info.st_size > cap:
            raise FileRefused(f"{info.st_size} bytes, over the cap of {cap}", info.st_size)
        file = open(descriptor, "rb")  # closes the descriptor from here on
    except BaseException:
        os.close(descriptor)
        raise
    with file:
        data = file.read(info.st_size + 1)
        while len(data) <= cap:  # more than fstat said: it grows, or it is sized 0 like /proc's
            more = file.read(min(cap + 1 - len(data), 2**24))
            if not more:
                break
            data += more
    if len(data) > cap:
        raise FileRefused(f"over {cap} bytes", len(data))
    return data
