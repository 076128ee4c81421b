"""File helpers: create-only atomic writes, atomic replace (keys, envelopes, state files), capped reads."""

from __future__ import annotations

import os
import secrets
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


def read_capped(path: str | Path, cap: int) -> bytes:
    """Read at most `cap` bytes; TooLarge before reading when the size is known, or once cap is passed."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > cap:
            raise TooLarge(size)
        data = fh.read(cap + 1)  # pipes and growing files report no or a stale size
    if len(data) > cap:
        raise TooLarge(len(data))
    return data


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
