"""fsutil.lock: flock here; on Windows msvcrt's lock of one byte at LOCK_OFFSET (a stand-in msvcrt shows the
calls: Windows cannot run here), the file position kept, Busy when another process holds it."""

from __future__ import annotations

import errno
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from secaudit import fsutil


def test_a_second_lock_is_busy_without_waiting(tmp_path: Path) -> None:
    with open(tmp_path / "x.lock", "a+") as first, open(tmp_path / "x.lock", "a+") as second:
        fsutil.lock(first)
        with pytest.raises(fsutil.Busy):
            fsutil.lock(second, wait=False)
    fd = os.open(tmp_path / "x.lock", os.O_RDONLY)  # a read-only descriptor locks too (the outbox's case)
    try:
        fsutil.lock(fd, wait=False)
    finally:
        os.close(fd)


def _fake_msvcrt(monkeypatch: pytest.MonkeyPatch, fail: OSError | None = None) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    fake = types.ModuleType("msvcrt")
    fake.LK_LOCK, fake.LK_NBLCK = 1, 2  # type: ignore[attr-defined]

    def locking(fd: int, mode: int, nbytes: int) -> None:
        calls.append((mode, nbytes, os.lseek(fd, 0, os.SEEK_CUR)))
        if fail is not None:
            raise fail

    fake.locking = locking  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setattr(sys, "platform", "win32")
    return calls


def test_windows_locks_one_byte_past_the_data_and_keeps_the_position(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "envelope"
    path.write_bytes(b"0123456789")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.lseek(fd, 3, os.SEEK_SET)
        calls = _fake_msvcrt(monkeypatch)
        fsutil.lock(fd, wait=False)
        fsutil.lock(fd)
        assert calls == [(2, 1, fsutil.LOCK_OFFSET), (1, 1, fsutil.LOCK_OFFSET)]
        assert os.read(fd, 10) == b"3456789"  # reading goes on where it was
    finally:
        os.close(fd)


def test_windows_held_elsewhere_is_busy_or_the_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open(tmp_path / "x.lock", "a+") as handle:
        _fake_msvcrt(monkeypatch, PermissionError(errno.EACCES, "Permission denied"))
        with pytest.raises(fsutil.Busy):
            fsutil.lock(handle, wait=False)
        with pytest.raises(PermissionError):  # waited about 10 s: an error, not "busy"
            fsutil.lock(handle)


def test_set_blocking_undoes_o_nonblock(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        fsutil.set_blocking(fd)
        assert os.get_blocking(fd)
    finally:
        os.close(fd)
