"""Opening a copy for reading: a regular file only, never blocking on a FIFO swapped in after the listing.
Every verifier that opens a copy by path (files.py, ziparchive.py, drill.py) goes through open_regular."""

from __future__ import annotations

import errno
import os
import stat as stat_mod

from secaudit.fsutil import NotRegularFile, set_blocking
from secaudit.transport.windows import native_path

# O_NONBLOCK, O_NOCTTY, O_CLOEXEC are POSIX-only; O_BINARY Windows-only (os.open is in text mode there otherwise)
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_BINARY", 0))


def open_regular(path: str, nofollow: bool = False) -> int:
    """A descriptor on a regular file: O_NONBLOCK, so a FIFO swapped in after the listing never
    blocks the open, then fstat; NotRegularFile for anything else (and, with `nofollow`, for a
    symbolic link: ELOOP)."""
    flags = _OPEN_FLAGS | (getattr(os, "O_NOFOLLOW", 0) if nofollow else 0)
    try:
        fd = os.open(native_path(path), flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and nofollow:
            raise NotRegularFile(path) from None
        raise
    try:
        if not stat_mod.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(path)
        set_blocking(fd)
    except BaseException:
        os.close(fd)
        raise
    return fd
