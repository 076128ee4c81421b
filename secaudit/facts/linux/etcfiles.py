"""Parsers for the colon-separated account databases, shared by several collectors.

Each entry keeps `source` as "file:line". In --root mode these are the image's own files,
so owners and groups resolve through the audited system, not the auditing one.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from secaudit.facts.context import FactContext
from secaudit.transport.base import FactUnavailable


@dataclass(frozen=True)
class PasswdEntry:
    name: str
    password: str
    uid: int
    gid: int
    gecos: str
    home: str
    shell: str
    source: str


@dataclass(frozen=True)
class GroupEntry:
    name: str
    password: str
    gid: int
    members: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class ShadowEntry:
    name: str
    hash: str  # kept in memory only to derive password_state; never written to a snapshot
    last_change: int | None  # days since epoch
    min_days: int | None
    max_days: int | None
    warn_days: int | None
    inactive_days: int | None
    expire: int | None  # days since epoch
    source: str


@dataclass(frozen=True)
class GshadowEntry:
    name: str
    password: str  # kept in memory only to derive password_state; never written to a snapshot
    admins: tuple[str, ...]  # may add and remove members with gpasswd
    source: str


def _lines(text: str, path: str) -> list[tuple[str, list[str]]]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith(("+", "-")):  # NIS compat lines skipped
            continue
        out.append((f"{path}:{number}", raw.split(":")))
    return out


# glibc's strtoul/strtol: leading blanks, one sign, ASCII digits to the end of the field (not '²', not '1_000').
_C_NUMBER = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]+)")
MAX_ID = 0xFFFFFFFF
MAX_DAY = 2_932_896  # 9999-12-31 in days since 1970: later dates are "never" for every purpose here


def _id(value: str) -> int | None:
    """A uid or gid as glibc's nss_files reads it (strtou32): a negative or too large value
    saturates at 4294967295 instead of wrapping, so "4294967296" is never uid 0."""
    m = _C_NUMBER.fullmatch(value)
    if m is None:
        return None
    number = int(m.group(2)) if len(m.group(2)) < 30 else MAX_ID + 1
    if m.group(1) == "-" and number:
        return MAX_ID  # strtoul negates in unsigned arithmetic: far above 32 bits, saturated
    return min(number, MAX_ID)


def _int(value: str) -> int | None:
    """A shadow day count (strtol); out-of-range values are clamped into what a date can hold."""
    m = _C_NUMBER.fullmatch(value)
    if m is None:
        return None
    number = int(m.group(2)) if len(m.group(2)) < 30 else MAX_DAY
    return max(-1, min(-number if m.group(1) == "-" else number, MAX_DAY))


NO_LOGIN_SHELLS = frozenset({"nologin", "false", "true", "sync", "halt", "shutdown"})


def login_shell(shell: str) -> bool:
    """Whether a passwd shell lets its account log in (an empty shell field means /bin/sh)."""
    return posixpath.basename(shell.strip()) not in NO_LOGIN_SHELLS if shell.strip() else True


def parse_passwd(text: str, path: str = "/etc/passwd") -> list[PasswdEntry]:
    entries = []
    for source, f in _lines(text, path):
        if len(f) < 7:
            continue
        uid, gid = _id(f[2]), _id(f[3])
        if uid is None or gid is None:
            continue
        entries.append(PasswdEntry(f[0], f[1], uid, gid, f[4], f[5], ":".join(f[6:]).strip(), source))
    return entries


def parse_group(text: str, path: str = "/etc/group") -> list[GroupEntry]:
    entries = []
    for source, f in _lines(text, path):
        gid = _id(f[2]) if len(f) >= 4 else None
        if gid is None:
            continue
        members = tuple(m.strip() for m in f[3].split(",") if m.strip())
        entries.append(GroupEntry(f[0], f[1], gid, members, source))
    return entries


def parse_shadow(text: str, path: str = "/etc/shadow") -> list[ShadowEntry]:
    entries = []
    for source, f in _lines(text, path):
        if len(f) < 2:
            continue
        f = f + [""] * (9 - len(f))
        entries.append(ShadowEntry(f[0], f[1], _int(f[2]), _int(f[3]), _int(f[4]), _int(f[5]), _int(f[6]),
                                   _int(f[7]), source))
    return entries


def parse_gshadow(text: str, path: str = "/etc/gshadow") -> list[GshadowEntry]:
    entries = []
    for source, f in _lines(text, path):
        if len(f) < 2:
            continue
        admins = tuple(a.strip() for a in f[2].split(",") if a.strip()) if len(f) > 2 else ()
        entries.append(GshadowEntry(f[0], f[1], admins, source))
    return entries


def _read(ctx: FactContext, path: str, unknown_key: str) -> str | None:
    """The file's text, or None with the reason recorded under `unknown_key`. A missing account
    database is unknown too: no /etc/passwd is not "no users", it is not a system's passwd."""
    try:
        return ctx.transport.read_text(path)
    except FactUnavailable as exc:
        ctx.unknown_from(unknown_key, exc)
        return None


def passwd(ctx: FactContext) -> list[PasswdEntry] | None:
    """The audited system's /etc/passwd, parsed once per collection; None if unreadable or missing."""

    def load() -> list[PasswdEntry] | None:
        text = _read(ctx, "/etc/passwd", "users")
        return None if text is None else parse_passwd(text)

    return ctx.memo("etc.passwd", load)


def groups(ctx: FactContext) -> list[GroupEntry] | None:
    def load() -> list[GroupEntry] | None:
        text = _read(ctx, "/etc/group", "groups")
        return None if text is None else parse_group(text)

    return ctx.memo("etc.group", load)


# Files every installed Linux system has: the account database, and os-release (systemd's
# os-release(5); /etc/os-release is usually a link to /usr/lib/os-release). Old systems without
# os-release still have /etc/passwd; a data disk, /boot or /home partition has none of them.
SYSTEM_MARKERS = ("/etc/passwd", "/etc/os-release", "/usr/lib/os-release")


def system_shape(ctx: FactContext) -> dict[str, object]:
    """Whether the audited root looks like an installed system: which marker files are regular files.
    Recorded, not judged: `looks_like_system` is False only when none of SYSTEM_MARKERS is there."""
    found: list[str] = []
    for path in SYSTEM_MARKERS:
        try:
            if ctx.transport.stat(path).is_file:
                found.append(path)
        except FactUnavailable as exc:
            if exc.code != "not_found":
                found.append(path)  # there but unreadable (permissions): a system that hides it
    return {"looks_like_system": bool(found), "system_markers": found,
            "system_markers_checked": list(SYSTEM_MARKERS)}


def uid_names(ctx: FactContext) -> dict[int, str]:
    return {e.uid: e.name for e in reversed(passwd(ctx) or [])}


def gid_names(ctx: FactContext) -> dict[int, str]:
    return {e.gid: e.name for e in reversed(groups(ctx) or [])}
