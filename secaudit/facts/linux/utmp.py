"""glibc utmp/wtmp records (/run/utmp: who is logged in; /var/log/wtmp: login history)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

# x86_64/aarch64 glibc layout, 384 bytes; ut_tv uses 32-bit fields for compatibility.
_RECORD = struct.Struct("<hxxi32s4s32s256shhiii4i20x")
RECORD_SIZE = _RECORD.size
BOOT_TIME, USER_PROCESS, DEAD_PROCESS = 2, 7, 8


@dataclass(frozen=True)
class UtmpRecord:
    type: int
    pid: int
    line: str
    user: str
    host: str
    time: int  # unix seconds


def _str(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")


def parse_utmp(data: bytes) -> list[UtmpRecord]:
    out = []
    for offset in range(0, len(data) - RECORD_SIZE + 1, RECORD_SIZE):
        f = _RECORD.unpack_from(data, offset)
        out.append(UtmpRecord(type=f[0], pid=f[1], line=_str(f[2]), user=_str(f[4]), host=_str(f[5]), time=f[9]))
    return out


def last_logins(records: list[UtmpRecord]) -> dict[str, UtmpRecord]:
    """Newest USER_PROCESS record per user name."""
    newest: dict[str, UtmpRecord] = {}
    for rec in records:
        if rec.type == USER_PROCESS and rec.user and (rec.user not in newest or rec.time > newest[rec.user].time):
            newest[rec.user] = rec
    return newest


def pack_record(type_: int, user: str, line: str, host: str, time: int, pid: int = 1) -> bytes:
    """Build a record (used by tests to write fixture wtmp/utmp files)."""
    return _RECORD.pack(type_, pid, line.encode(), b"", user.encode(), host.encode(), 0, 0, 0, time, 0,
                        0, 0, 0, 0)
