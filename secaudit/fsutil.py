"""File helpers: create-only atomic writes, atomic replace (keys, envelopes, state files), capped reads."""

from __future__ import annotations

import errno
import os
import secrets
import stat as stat_mod
from pathlib import Path

_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
          | getattr(os, "O_BINARY", 0))


class TooLarge(Exception):
    """The file is bigger than the caller's cap (raised before reading it all)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def fsync_dir(directory: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_tmp(directory: Path, data: bytes, mode: int, exact: bool) -> Path:
    """A new temporary file in `directory` holding `data`, created with `mode` from the first instant
    (O_CREAT|O_EXCL, so no window with wider permissions and no following a planted symlink)."""
    for _ in range(16):
        tmp = directory / f".tmp-{secrets.token_hex(8)}"
        try:
            fd = os.open(tmp, _FLAGS, mode)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(f"cannot create a temporary file in {directory}")
    try:
        if exact and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # the umask can only have narrowed it; make it exactly `mode`
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    return tmp


def create_new(path: Path, data: bytes, mode: int = 0o644, exact: bool = False) -> None:
    """Write `path` atomically (temp file + fsync + link); FileExistsError if it exists: never overwrites."""
    tmp = _write_tmp(path.parent, data, mode, exact)
    try:
        try:
            os.link(tmp, path)  # atomic and fails if `path` exists (even as a dangling symlink)
        except FileExistsError:
            raise
        except OSError:  # no hard links on this filesystem
            if os.path.lexists(path):
                raise FileExistsError(17, "File exists", str(path)) from None
            if os.name == "nt":
                os.rename(tmp, path)  # refuses to overwrite on Windows
            else:
                os.replace(tmp, path)
            return
    finally:
        tmp.unlink(missing_ok=True)
        fsync_dir(path.parent)


def replace(path: Path, data: bytes, mode: int = 0o644, exact: bool = False) -> None:
    """Write `path` atomically, replacing any previous file only once the new content is on disk."""
    tmp = _write_tmp(path.parent, data, mode, exact)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


class NotRegularFile(OSError):
    """A device, FIFO, socket or directory where a file was expected (never opened for reading)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(errno.EINVAL, "not a regular file", str(path))


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


def read_capped(path: str | Path, cap: int) -> bytes:
    """A regular file's bytes, at most `cap`: NotRegularFile for anything else (checked with stat before
    opening, so a FIFO or device is never opened, and with fstat after an O_NONBLOCK open), TooLarge
    before reading when the size is over `cap`, or once `cap` is passed (files that report no size)."""
    if not stat_mod.S_ISREG(os.stat(path).st_mode):
        raise NotRegularFile(path)
    fd = os.open(path, _READ_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat_mod.S_ISREG(st.st_mode):  # swapped between stat and open
            raise NotRegularFile(path)
        if st.st_size > cap:
            raise TooLarge(st.st_size)
        chunks: list[bytes] = []
        got = 0
        while got <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    finally:
        os.close(fd)
    if got > cap:
        raise TooLarge(got)
    return b"".join(chunks)


def write_file(path: str, data: bytes) -> None:
    """Write an output the user asked for (-o): parent directories created, one-sentence error."""
    from secaudit.errors import SecauditError
    from secaudit.i18n import t

    try:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    except OSError as exc:
        raise SecauditError(t("error.write", "vi", path=path, error=exc.strerror),
                            t("error.write", "en", path=path, error=exc.strerror)) from None
