"""Parsers for the colon-separated account databases, shared by several collectors.

Each entry keeps `source` as "file:line". In --root mode these are the image's own files,
so owners and groups resolve through the audited system, not the auditing one.
"""

from __future__ import annotations

from dataclasses import dataclass

from secaudit.facts.context import FactContext


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


def _lines(text: str, path: str) -> list[tuple[str, list[str]]]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith(("+", "-")):  # NIS compat lines skipped
            continue
        out.append((f"{path}:{number}", raw.split(":")))
    return out


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def parse_passwd(text: str, path: str = "/etc/passwd") -> list[PasswdEntry]:
    entries = []
    for source, f in _lines(text, path):
        if len(f) < 7 or _int(f[2]) is None or _int(f[3]) is None:
            continue
        entries.append(PasswdEntry(f[0], f[1], int(f[2]), int(f[3]), f[4], f[5], ":".join(f[6:]).strip(), source))
    return entries


def parse_group(text: str, path: str = "/etc/group") -> list[GroupEntry]:
    entries = []
    for source, f in _lines(text, path):
        if len(f) < 4 or _int(f[2]) is None:
            continue
        members = tuple(m.strip() for m in f[3].split(",") if m.strip())
        entries.append(GroupEntry(f[0], f[1], int(f[2]), members, source))
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


def passwd(ctx: FactContext) -> list[PasswdEntry] | None:
    """The audited system's /etc/passwd, parsed once per collection; None if unreadable."""

    def load() -> list[PasswdEntry] | None:
        text = ctx.read_text("/etc/passwd", unknown_key="users")
        return None if text is None else parse_passwd(text)

    return ctx.memo("etc.passwd", load)


def groups(ctx: FactContext) -> list[GroupEntry] | None:
    def load() -> list[GroupEntry] | None:
        text = ctx.read_text("/etc/group", unknown_key="groups")
        return None if text is None else parse_group(text)

    return ctx.memo("etc.group", load)


def uid_names(ctx: FactContext) -> dict[int, str]:
    return {e.uid: e.name for e in reversed(passwd(ctx) or [])}


def gid_names(ctx: FactContext) -> dict[int, str]:
    return {e.gid: e.name for e in reversed(groups(ctx) or [])}
