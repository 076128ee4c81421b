"""File helpers: create-only atomic writes, atomic replace (keys, envelopes, state files), capped reads."""

from __future__ import annotations

import errno
import os
import secrets
import stat as stat_mod
import sys
import zlib
from pathlib import Path
from typing import IO, Any

_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
          | getattr(os, "O_BINARY", 0))


LOCK_OFFSET = 1 << 30  # Windows: the byte locked by lock(), past the end of any file locked this way


class Busy(OSError):
    """Another process holds the lock (lock(..., wait=False))."""


def lock(file: IO[Any] | int, wait: bool = True) -> None:
    """An exclusive lock on an open file (object or descriptor), released when it is closed: flock on POSIX;
    on Windows (no fcntl) msvcrt's lock of one byte far past the end (LOCK_OFFSET, as SQLite does: Windows
    locks are mandatory, so a lock on the data would stop every other reader of the file, ours included),
    which waits about 10 s before OSError. `wait=False`: Busy at once when another process holds it."""
    if not isinstance(file, int):
        file.flush()
    fd = file if isinstance(file, int) else file.fileno()
    if sys.platform == "win32":
        import msvcrt

        where = os.lseek(fd, 0, os.SEEK_CUR)
        os.lseek(fd, LOCK_OFFSET, os.SEEK_SET)  # msvcrt locks from the current position
        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        except OSError as exc:  # EACCES (held by another process) or EDEADLOCK (still held after 10 s)
            if wait:
                raise
            raise Busy(exc.errno, "locked by another process") from None
        finally:
            os.lseek(fd, where, os.SEEK_SET)
        return
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError as exc:
        raise Busy(exc.errno, "locked by another process") from None


def set_blocking(fd: int) -> None:
    """Back to blocking reads and writes after an O_NONBLOCK open (POSIX; on Windows O_NONBLOCK does not
    exist, so a descriptor is always blocking)."""
    if getattr(os, "O_NONBLOCK", 0):
        os.set_blocking(fd, True)


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


def gunzip_capped(data: bytes, cap: int) -> bytes:
    """Decompress gzip data (several members too) to at most `cap` bytes: TooLarge past it, so a
    small compressed bomb never expands in memory. zlib.error or EOFError on damaged data."""
    out = bytearray()
    while data:
        engine = zlib.decompressobj(wbits=31)
        out += engine.decompress(data, cap + 1 - len(out))
        if len(out) > cap or engine.unconsumed_tail:
            raise TooLarge(len(out))
        if not engine.eof:
            raise EOFError("compressed data ends early")
        data = engine.unused_data.lstrip(b"\0")  # members may be padded
    return bytes(out)


# --- outputs: reports, envelopes, summaries ------------------------------------------------------

# Characters never kept in a derived file name: path separators, what Windows refuses, and every
# control, format (bidi, zero-width), separator or unassigned code point (see _unsafe_char).
_NAME_REFUSED = set('/\\:*?"<>|')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", "conin$", "conout$", "clock$",
                     *(f"com{i}" for i in "123456789¹²³"), *(f"lpt{i}" for i in "123456789¹²³")}


def _unsafe_char(ch: str) -> bool:
    import unicodedata

    return ch in _NAME_REFUSED or unicodedata.category(ch)[0] in "CZ"  # Cc Cf Cs Co Cn, Zs Zl Zp


def safe_name(text: object, fallback: str = "report", limit: int = 100) -> str:
    """A file name part derived from audited data (a hostname, a set name): Vietnamese letters kept
    (NFC), but no path separator, no '..', no leading dot or dash, no control, bidi or space
    character, no Windows-reserved name or character, at most `limit` UTF-8 bytes; `fallback`
    when nothing is left. It never names anything outside the directory it is joined to."""
    import re
    import unicodedata

    raw = unicodedata.normalize("NFC", "" if text is None else str(text))
    name = re.sub(r"_{2,}", "_", "".join("_" if _unsafe_char(ch) else ch for ch in raw))
    name = re.sub(r"\.{2,}", ".", name).strip("._- ")
    name = name.encode("utf-8")[:limit].decode("utf-8", "ignore").rstrip("._- ")
    if name.split(".", 1)[0].casefold() in _WINDOWS_RESERVED:
        name = "_" + name
    return name or fallback


def write_error(path: str | Path, exc: OSError) -> Exception:
    """The one sentence for an output that could not be written."""
    from secaudit.errors import SecauditError
    from secaudit.i18n import t

    why = exc.strerror or str(exc)
    return SecauditError(t("error.write", "vi", path=path, error=why), t("error.write", "en", path=path, error=why))


def create_unique(directory: Path, stem: str, suffix: str, data: bytes, mode: int = 0o644) -> Path:
    """Write `stem+suffix` into `directory`, or `stem-2+suffix`, -3...: atomically (create_new), never
    overwriting or following anything already there. `stem` must come from safe_name()."""
    if os.sep in stem or (os.altsep and os.altsep in stem) or stem in ("", ".", ".."):
        raise ValueError(f"not a file name: {stem!r}")
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        path = directory / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")
        try:
            create_new(path, data, mode)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "too many files with this name", str(directory / f"{stem}{suffix}"))


def _write_through(path: Path, data: bytes) -> None:
    """A device or FIFO the user named (`-o /dev/null`): written in place. O_NONBLOCK on open, so a
    FIFO nobody reads fails (ENXIO) instead of hanging; O_NOFOLLOW, so it is still no symlink."""
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                 | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    try:
        set_blocking(fd)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _link_target_mode(link: Path) -> int | None:
    """The st_mode of what a symlink points at (only to decide; nothing is opened), None if dangling."""
    try:
        return os.stat(link).st_mode
    except OSError:
        return None


def write_file(path: str | Path, data: bytes) -> None:
    """Write an output the user named (-o), parent directories created: to a temporary file beside it,
    then renamed over it (replace()), so a full disk or a kill leaves the previous file whole and a
    symlink at `path` is replaced, never written through (a link to a device, /dev/stdout, or to a
    directory is refused). A device or FIFO named directly is written in place. An existing file keeps
    its permissions. Errors are one sentence (SecauditError)."""
    target = Path(path)
    try:
        try:
            st: os.stat_result | None = os.lstat(target)
        except FileNotFoundError:
            st = None
        if st is not None and stat_mod.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
        if st is not None and os.name != "nt" and (stat_mod.S_ISCHR(st.st_mode) or stat_mod.S_ISFIFO(st.st_mode)):
            _write_through(target, data)
            return
        linked = _link_target_mode(target) if st is not None and stat_mod.S_ISLNK(st.st_mode) else None
        if linked is not None and stat_mod.S_ISDIR(linked):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
        if linked is not None and not stat_mod.S_ISREG(linked):
            # a link is never written through, and replacing /dev/stdout (a link) would break the system
            from secaudit.errors import SecauditError
            from secaudit.i18n import t

            raise SecauditError(t("error.write_link", "vi", path=path), t("error.write_link", "en", path=path))
        target.parent.mkdir(parents=True, exist_ok=True)
        if st is not None and stat_mod.S_ISREG(st.st_mode):
            replace(target, data, stat_mod.S_IMODE(st.st_mode) & 0o666, exact=True)
        else:
            replace(target, data)
    except OSError as exc:
        raise write_error(path, exc) from None
