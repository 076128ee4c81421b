"""Login defaults (/etc/login.defs) and last-login records: lastlog, lastlog2, wtmp, wtmpdb.

Every source is read through the transport. The SQLite databases are copied into a
temporary file first, because the transport hands out bytes, not file handles.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from secaudit import limits
from secaudit.facts.context import FactContext
from secaudit.facts.linux.utmp import last_logins as utmp_last_logins
from secaudit.facts.linux.utmp import parse_utmp
from secaudit.transport.base import FactUnavailable

LOGIN_DEFS_PATHS = ("/etc/login.defs", "/usr/etc/login.defs")  # the second: openSUSE's vendor copy
LASTLOG = "/var/log/lastlog"
LASTLOG2 = "/var/lib/lastlog/lastlog2.db"
WTMP = "/var/log/wtmp"
WTMPDB = "/var/lib/wtmpdb/wtmp.db"
# struct lastlog { int32_t ll_time; char ll_line[32]; char ll_host[256]; } on glibc (also x86_64)
_LASTLOG = struct.Struct("<i32s256s")
LASTLOG_RECORD = _LASTLOG.size  # 292
MAX_LASTLOG_BYTES = 32 * 1024 * 1024  # uids beyond ~115000 are not looked up in the sparse file
MAX_WTMP_BYTES = 48 * 1024 * 1024


@dataclass(frozen=True)
class LoginRecord:
    time: int  # unix seconds
    line: str
    host: str
    source: str  # the file it came from


# --- login.defs -------------------------------------------------------------------------------


def parse_login_defs(text: str, path: str) -> dict[str, tuple[str, str]]:
    """KEY -> (value, "file:line"); '#' lines are comments, the last definition wins."""
    out: dict[str, tuple[str, str]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        value = parts[1].strip() if len(parts) > 1 else ""
        if len(value) > 1 and value[0] == value[-1] == '"':
            value = value[1:-1]
        out[parts[0]] = (value, f"{path}:{number}")
    return out


def login_defs(ctx: FactContext) -> dict[str, tuple[str, str]]:
    def load() -> dict[str, tuple[str, str]]:
        for path in LOGIN_DEFS_PATHS:
            text = ctx.read_text(path, unknown_key="password_policy.login_defs")
            if text is not None:
                return parse_login_defs(text, path)
        return {}

    return ctx.memo("etc.login.defs", load)


def defs_int(defs: dict[str, tuple[str, str]], key: str) -> tuple[int | None, str | None]:
    entry = defs.get(key)
    if entry is None:
        return None, None
    try:
        return int(entry[0], 0), entry[1]
    except ValueError:
        return None, entry[1]


# --- binary and SQLite login records ----------------------------------------------------------


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")


def parse_lastlog(data: bytes, uids: Iterable[int], source: str = LASTLOG) -> dict[int, LoginRecord]:
    """Records of `uids` in a lastlog file (indexed by uid); a zero time means never."""
    out: dict[int, LoginRecord] = {}
    for uid in uids:
        offset = uid * LASTLOG_RECORD
        if uid < 0 or offset + LASTLOG_RECORD > len(data):
            continue
        when, line, host = _LASTLOG.unpack_from(data, offset)
        if when > 0:
            out[uid] = LoginRecord(when, _cstr(line), _cstr(host), source)
    return out


def pack_lastlog(time: int, line: str = "", host: str = "") -> bytes:
    """One lastlog record (for tests writing fixture files)."""
    return _LASTLOG.pack(time, line.encode(), host.encode())


def _query_sqlite(data: bytes, wal: bytes | None, sql: str) -> list[tuple[object, ...]]:
    import sqlite3

    with tempfile.TemporaryDirectory(prefix="secaudit-") as tmp:
        path = os.path.join(tmp, "db")
        with open(path, "wb") as fh:  # a private copy of bytes read through the transport
            fh.write(data)
        if wal:
            with open(path + "-wal", "wb") as fh:
                fh.write(wal)
        conn = sqlite3.connect(path)
        try:
            return list(conn.execute(sql))
        finally:
            conn.close()


def _read_db(ctx: FactContext, path: str) -> tuple[bytes, bytes | None]:
    data = ctx.transport.read_bytes(path, cap=limits.LOG_FILE)
    try:
        wal: bytes | None = ctx.transport.read_bytes(path + "-wal", cap=limits.LOG_FILE)
    except FactUnavailable:
        wal = None
    return data, wal


def lastlog2_records(data: bytes, wal: bytes | None = None, source: str = LASTLOG2) -> dict[str, LoginRecord]:
    rows = _query_sqlite(data, wal, "SELECT Name, Time, TTY, RemoteHost FROM Lastlog2")
    out: dict[str, LoginRecord] = {}
    for name, when, tty, host in rows:
        if isinstance(name, str) and isinstance(when, int) and when > 0:
            out[name] = LoginRecord(when, str(tty or ""), str(host or ""), source)
    return out


def wtmpdb_records(data: bytes, wal: bytes | None = None, source: str = WTMPDB) -> dict[str, LoginRecord]:
    # Type 3 is USER_PROCESS in wtmpdb; Login is in microseconds.
    rows = _query_sqlite(data, wal, "SELECT User, Login, TTY, RemoteHost FROM wtmp WHERE Type = 3")
    out: dict[str, LoginRecord] = {}
    for user, login_us, tty, host in rows:
        if not isinstance(user, str) or not isinstance(login_us, int):
            continue
        when = login_us // 1_000_000
        if user not in out or when > out[user].time:
            out[user] = LoginRecord(when, str(tty or ""), str(host or ""), source)
    return out


@dataclass
class LoginSources:
    by_name: dict[str, LoginRecord]
    read: list[str]  # sources that answered (an empty file counts: nobody logged in)
    failed: list[tuple[str, str, str]]  # (path, code, detail)


def collect_last_logins(ctx: FactContext, users: list[tuple[str, int]]) -> LoginSources:
    """Newest login per user name over every source present. `users` are (name, uid) pairs
    whose lastlog records are wanted; lastlog is read only up to the highest of those uids."""
    result = LoginSources({}, [], [])

    def offer(name: str, rec: LoginRecord) -> None:
        old = result.by_name.get(name)
        if old is None or rec.time > old.time:
            result.by_name[name] = rec

    def failed(path: str, exc: FactUnavailable) -> None:
        if exc.code != "not_found":
            result.failed.append((path, exc.code, exc.detail))

    wanted = [(n, u) for n, u in users if u >= 0 and (u + 1) * LASTLOG_RECORD <= MAX_LASTLOG_BYTES]
    if wanted:
        try:
            limit = (max(u for _, u in wanted) + 1) * LASTLOG_RECORD
            data = ctx.transport.read_bytes(LASTLOG, limit=limit)
            result.read.append(LASTLOG)
            by_uid = parse_lastlog(data, {u for _, u in wanted})
            for name, uid in wanted:
                if uid in by_uid:
                    offer(name, by_uid[uid])
        except FactUnavailable as exc:
            failed(LASTLOG, exc)

    for path, loader in ((LASTLOG2, lastlog2_records), (WTMPDB, wtmpdb_records)):
        try:
            data, wal = _read_db(ctx, path)
        except FactUnavailable as exc:
            failed(path, exc)
            continue
        try:
            records = loader(data, wal, path)
        except Exception as exc:  # sqlite3.Error and friends: a damaged or foreign database
            result.failed.append((path, "error", f"{path}: {type(exc).__name__}: {exc}"))
            continue
        result.read.append(path)
        for name, rec in records.items():
            offer(name, rec)

    try:
        size = ctx.transport.stat(WTMP).size
        if size > MAX_WTMP_BYTES:
            # The newest records are at the end and the transport reads from the start:
            # better no wtmp than a stale one.
            result.failed.append((WTMP, "error", f"{WTMP} is {size} bytes; skipped"))
        else:
            for name, urec in utmp_last_logins(parse_utmp(ctx.transport.read_bytes(WTMP, cap=MAX_WTMP_BYTES))).items():
                offer(name, LoginRecord(urec.time, urec.line, urec.host, WTMP))
            result.read.append(WTMP)
    except FactUnavailable as exc:
        failed(WTMP, exc)
    return result
