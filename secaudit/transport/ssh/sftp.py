"""SFTP helpers: reading a regular file and listing a directory with as few round trips as paramiko allows."""

from __future__ import annotations

import stat as stat_mod
from typing import Any

from secaudit import limits
from secaudit.transport.base import NotRegular, TooLarge

CHUNK = 32768  # paramiko's largest SFTP read request

# Kernel files may answer a read with less than asked before their end; a regular file does not
# (sftp-server does one read(2) per request), so for it a short read already means end of file.
_SHORT_READS = ("/proc/", "/sys/", "/dev/")


def _close_async(handle: Any) -> None:
    """Close without waiting for the answer: one round trip less per file (paramiko does the same
    when a file object is garbage-collected)."""
    closer = getattr(handle, "_close", None)
    if closer is not None:
        closer(async_=True)
    else:  # pragma: no cover - another paramiko
        handle.close()


def sftp_read(sftp: Any, path: str, limit: int | None, cap: int) -> bytes:
    """Read a regular file's first `limit` bytes, or all of it up to `cap` + 1 bytes (the caller refuses
    more). STAT first: a FIFO would block the server's open(2), a device would stream without end."""
    attrs = sftp.stat(path)
    if not stat_mod.S_ISREG(attrs.st_mode or 0):
        raise NotRegular(path)
    size = int(attrs.st_size or 0)
    if limit is None and size > cap:
        raise TooLarge(f"{path} ({limits.mib(size)} > {limits.mib(cap)})")
    want = limit if limit is not None else cap + 1
    fh = sftp.open(path, "rb")
    try:
        one_request = getattr(fh, "_read", None)  # a single READ; fh.read() loops until EOF
        if one_request is not None and not path.startswith(_SHORT_READS):
            try:
                first = bytes(one_request(min(want, CHUNK)) or b"")
            except EOFError:
                first = b""
            if len(first) >= want or len(first) < CHUNK:
                return first[:want]
            fh.seek(len(first))
        else:
            first = bytes(fh.read(min(want, CHUNK)))
            if len(first) >= want:
                return first
        if len(first) == CHUNK and size > CHUNK:
            fh.prefetch(min(size, want), max_concurrent_requests=64)
        rest = fh.read(want - len(first))
        return bytes(first) + bytes(rest)
    finally:
        _close_async(fh)


def sftp_listdir(sftp: Any, path: str) -> list[str]:
    """Names in a directory: paramiko's listdir, but without waiting for the answer to CLOSE."""
    from paramiko import SFTPAttributes
    from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_NAME, CMD_OPENDIR, CMD_READDIR

    request = getattr(sftp, "_request", None)
    send = getattr(sftp, "_async_request", None)
    if request is None or send is None:  # pragma: no cover - another paramiko
        return list(sftp.listdir(path))
    kind, msg = request(CMD_OPENDIR, path)
    if kind != CMD_HANDLE:
        raise OSError(f"{path}: unexpected answer to OPENDIR")
    handle = msg.get_binary()
    names: list[str] = []
    try:
        while True:
            try:
                kind, msg = request(CMD_READDIR, handle)
            except EOFError:
                break
            if kind != CMD_NAME:
                raise OSError(f"{path}: unexpected answer to READDIR")
            for _ in range(msg.get_int()):
                names.append(msg.get_text())
                msg.get_text()  # the ls -l style long name
                SFTPAttributes._from_msg(msg)  # consumes the attributes
    finally:
        send(type(None), CMD_CLOSE, handle)
    return [n for n in names if n not in (".", "..")]
