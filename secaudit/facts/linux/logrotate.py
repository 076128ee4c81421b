"""logrotate's configuration as logrotate 3.21 (Debian 12) reads it when run as root by its timer or cron job:
/etc/logrotate.conf with `include` of files and directories where it stands (a directory's files sorted, names
matching a taboo pattern skipped, subdirectories not entered), global directives that apply to the stanzas after
them (`tabooext`/`taboopat` to the directories included after them), and `path ... { ... }` stanzas with their
own; for each stanza the files it covers, `rotate N` × the period (daily, weekly, monthly, yearly, hourly) and
`maxage` give the days a rotated log is kept.

What logrotate refuses, checked with `logrotate -d` (3.21.0, as root):
- a configuration file (the main one or an included one, through symbolic links) that is writable by group or
  others ("Ignoring X because it is writable by group or others") or not owned by uid 0 ("the file owner is
  wrong"): not read at all, its stanzas rotate nothing; a directory, device or socket in an included directory is
  ignored the same way ("not a regular file"), a dangling link cannot be opened; a FIFO blocks logrotate in
  open() for good, so nothing at all is rotated;
- keywords are case-sensitive ("Rotate 5" is an unknown option, ignored) and `key = value` is accepted;
- a bad value inside a stanza (rotate below -1 or not a number, "rotate 5 # x", maxage negative, a size with an
  unknown unit, an argument missing) drops that stanza ("found error in ..., skipping"); the same outside a
  stanza stops reading the file there, its global settings undone (stanzas read before it stay);
- a stanza left open at the end of its file is kept; unknown keywords are ignored."""

from __future__ import annotations

import fnmatch
import re
import shlex
import stat as stat_mod
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.transport.base import FactUnavailable, NotFound, StatResult

MAIN = "/etc/logrotate.conf"
MAX_DEPTH = 8
PERIOD_DAYS = {"hourly": 1 / 24, "daily": 1, "weekly": 7, "monthly": 30, "yearly": 365}
# logrotate's taboo list at startup (3.21 as Debian 12 ships it, checked with `logrotate -d`): each extension
# becomes the glob "*<ext>". tabooext and taboopat edit one shared list: without "+" either replaces all of it
# (extensions and patterns alike), with "+" it is added to. A name is skipped when a glob matches it as
# fnmatch(FNM_PERIOD) does: a leading dot is matched only by a leading dot, so ".foo.swp" is read.
TABOO_EXTS = (",v", ".bak", ".cfsaved", ".disabled", ".dpkg-bak", ".dpkg-del", ".dpkg-dist", ".dpkg-new", ".dpkg-old",
              ".dpkg-tmp", ".rhn-cfg-tmp-*", ".rpmnew", ".rpmorig", ".rpmsave", ".swp", ".ucf-dist", ".ucf-new",
              ".ucf-old", "~")
TABOO = tuple(f"*{e}" for e in TABOO_EXTS)
_KEEP = ("rotate", "period", "maxage", "size", "maxsize", "minsize", "missingok", "notifempty", "copytruncate",
         "compress")
_FLAGS = ("missingok", "notifempty", "copytruncate", "compress")
_SCRIPTS = ("postrotate", "prerotate", "firstaction", "lastaction", "preremove")
_KIND = {stat_mod.S_IFDIR: "directory", stat_mod.S_IFCHR: "character device", stat_mod.S_IFBLK: "block device",
         stat_mod.S_IFSOCK: "socket", stat_mod.S_IFIFO: "fifo"}  # the stat follows links
# C's strtol/strtoul with base 0 after isspace(): sign, then 0x hex, 0 octal or decimal; what follows is left.
_C_NUMBER = re.compile(r"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_LONG_MAX, _ULONG_MAX = (1 << 63) - 1, (1 << 64) - 1


class _Refused(ValueError):
    """A value logrotate refuses (its RAISE_ERROR)."""


def _c_number(text: str, unsigned: bool = False) -> tuple[int, str]:
    """(value, rest) as strtol (or strtoul) parses `text` with base 0, saturating as they do; _Refused when no
    digit starts it."""
    m = _C_NUMBER.match(text)
    if not m:
        raise _Refused(text)
    sign, digits = m.groups()
    if len(digits.lstrip("0xX")) > 40:  # far past 64 bits (and past Python's int-from-text limit)
        n = _ULONG_MAX + 1
    else:
        n = int(digits, 16) if digits[:2] in ("0x", "0X") else int(digits, 8 if digits.startswith("0") else 10)
    if unsigned:
        n = _ULONG_MAX if n > _ULONG_MAX else (-n) % (1 << 64) if sign == "-" else n
    else:
        n = -n if sign == "-" else n
        n = max(-_LONG_MAX - 1, min(n, _LONG_MAX))
    return n, text[m.end():]


def _as_c_int(n: int) -> int:
    """A long stored into logrotate's int field (two's complement truncation to 32 bits)."""
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n


def parse_count(key: str, value: str) -> int:
    """`rotate` (strtol, at least -1) or `maxage` (strtoul, at least 0) as logrotate 3.21 takes it: the whole
    rest of the line, so "5 # keep" is refused; the number then held in a C int."""
    n, rest = _c_number(value, unsigned=key == "maxage")
    n = _as_c_int(n)
    if rest or n < (-1 if key == "rotate" else 0):
        raise _Refused(value)
    return n


def parse_size(value: str) -> str:
    """size/minsize/maxsize as logrotate 3.21 takes them: a last character that is no digit must be the unit k,
    K, M or G ("unknown unit"); the number before it whole (base 0) and not negative ("bad size")."""
    number = value
    if value[-1:] in ("k", "K", "M", "G"):
        number = value[:-1]
    elif value[-1:] not in tuple("0123456789"):
        raise _Refused(value)
    n, rest = _c_number(number)
    if rest or n < 0:
        raise _Refused(value)
    return value


def retention_days(settings: dict[str, Any]) -> int | None:
    """Days a rotated log is kept: rotate × period, capped by maxage; None when no period says it (size only)."""
    rotate, period, maxage = settings.get("rotate"), settings.get("period"), settings.get("maxage")
    days: float | None = None
    if rotate is None and period in PERIOD_DAYS:
        rotate = 0  # logrotate's default: no rotated copy is kept
    if isinstance(rotate, int) and period in PERIOD_DAYS:
        # N rotated copies of one period each: what is surely there just after a rotation.
        days = rotate * PERIOD_DAYS[period] if rotate >= 0 else float("inf")  # rotate -1: never deleted
    if isinstance(maxage, int) and maxage > 0:
        days = maxage if days is None or days == float("inf") else min(days, maxage)
    if days is None or days == float("inf"):
        return None if days is None else 10 ** 6
    return int(days)


def taboo_update(taboo: list[str], key: str, value: str) -> list[str]:
    """The taboo list after `tabooext [+] list` or `taboopat [+] list` (`value`: the rest of the line; the
    list separated by commas and/or white space)."""
    value = value.strip()
    if value.startswith("="):  # logrotate accepts "key = value"
        value = value[1:].strip()
    if not value:
        return taboo  # "argument expected": logrotate changes nothing
    add = value.startswith("+")
    items = [w for w in re.split(r"[\s,]+", value[1:] if add else value) if w]
    new = [f"*{w}" if key == "tabooext" else w for w in items]
    return taboo + new if add else new


def is_taboo(name: str, taboo: list[str]) -> bool:
    """`name` (a file in an included directory) matches a taboo glob; fnmatch with FNM_PERIOD."""
    return any(fnmatch.fnmatchcase(name, pat) and (not name.startswith(".") or pat.startswith("."))
               for pat in taboo)


def refusal(st: StatResult, owners_known: bool) -> dict[str, Any] | None:
    """Why logrotate (run as root) ignores a configuration file with this stat (of the link's target), else None:
    not a regular file (a FIFO: logrotate blocks on it), writable by group or others, not owned by uid 0."""
    mode = f"{stat_mod.S_IMODE(st.mode):04o}"
    if not stat_mod.S_ISREG(st.mode):
        kind = _KIND.get(stat_mod.S_IFMT(st.mode), "other")
        return {"reason": "fifo" if kind == "fifo" else "not_regular_file", "kind": kind}
    if st.mode & 0o022:
        return {"reason": "group_or_other_writable", "mode": mode}
    if owners_known and st.uid != 0:
        return {"reason": "not_owned_by_root", "uid": st.uid}
    return None


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()


def _directive(line: str) -> tuple[str, str]:
    """(keyword, value): the keyword up to white space or "=", then the rest of the line after any blanks and
    "=" (logrotate accepts "rotate = 5" and "rotate=5"), trailing blanks removed."""
    m = re.match(r"([^\s=]*)[\s=]*(.*)", line)
    assert m is not None
    return m.group(1), m.group(2).rstrip()


def _apply(settings: dict[str, Any], key: str, value: str) -> None:
    """One directive into `settings` (case-sensitive, as logrotate); _Refused for a value logrotate refuses."""
    if key in PERIOD_DAYS:
        settings["period"] = key  # anything after it is ignored ("weekly 2": a weekday)
    elif key in ("rotate", "maxage"):
        if not value:
            raise _Refused("argument expected")
        settings[key] = min(parse_count(key, value), 10 ** 6)  # beyond a million: as good as forever
    elif key in ("size", "maxsize", "minsize"):
        if not value:
            raise _Refused("argument expected")
        settings[key] = parse_size(value)
        if key == "size":
            settings.pop("period", None)  # size replaces the period (logrotate: the last one read wins)
    elif key in _FLAGS:
        settings[key] = True
    elif key.startswith("no") and key[2:] in _FLAGS:
        settings[key[2:]] = False


def owners_known(ctx: FactContext) -> bool:
    """A mounted root whose "/" is not owned by uid 0 is a copy unpacked by a user (a real system's root
    directory always belongs to root): its files' owners say nothing about the audited system."""
    if ctx.transport.mode != "root":
        return True
    st = ctx.stat("/")
    return st is not None and st.uid == 0


def parse_logrotate(ctx: FactContext) -> dict[str, Any]:
    files: list[str] = []
    stanzas: list[dict[str, Any]] = []
    unreadable: list[str] = []
    unverified: list[str] = []
    ignored: list[dict[str, Any]] = []
    invalid: list[str] = []
    defaults: dict[str, Any] = {}
    skipped: list[str] = []
    blocked: list[str] = []
    taboo = list(TABOO)  # logrotate keeps one list for the whole run, changed where a directive stands
    known_owners = owners_known(ctx)

    def include(target: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        try:
            names = ctx.transport.list_dir(target) if ctx.transport.stat(target).is_dir else None
        except NotFound:
            return  # "cannot stat": logrotate goes on
        except FactUnavailable as exc:
            ctx.unknown_from("logging.logrotate_conf", exc)
            unreadable.append(target)
            return
        if names is None:
            visit(target, depth)
            return
        for name in sorted(names):  # an empty directory includes nothing
            if name in (".", ".."):
                continue
            if is_taboo(name, taboo):
                skipped.append(f"{target.rstrip('/')}/{name}")
                continue
            visit(f"{target.rstrip('/')}/{name}", depth, listed=True)

    def visit(path: str, depth: int, listed: bool = False) -> None:
        nonlocal taboo
        if path in files:
            return
        try:
            st: StatResult | None = ctx.transport.stat(path)
        except NotFound:
            if listed:  # a dangling link in the directory: "failed to open config file"
                ignored.append({"path": path, "reason": "dangling_link"})
            return
        except FactUnavailable:
            st = None  # read below; its mode and owner are not known
        why = refusal(st, known_owners) if st is not None else None
        if why is not None:
            if why["reason"] == "fifo":
                blocked.append(path)
            ignored.append({"path": path, **why})
            return
        text = ctx.read_text(path, unknown_key="logging.logrotate_conf")
        if text is None:
            unreadable.append(path)
            return
        if st is None:
            unverified.append(path)
        files.append(path)
        before = dict(defaults)  # a global error undoes the file's global settings
        current: dict[str, Any] | None = None
        pending: list[str] = []
        in_script = False
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            where = f"{path}:{lineno}"
            if in_script:
                if line.split()[:1] == ["endscript"]:
                    in_script = False
                continue
            if not line or line.startswith("#"):
                continue
            if current is None and ("{" in line or pending or line.startswith(("/", '"', "'"))):
                head, brace, tail = line.partition("{")
                pending += _words(head)
                if not brace:
                    continue
                current = {"paths": pending, "source": where, "settings": dict(defaults), "error": False}
                pending = []
                line = tail.strip()
                if not line:
                    continue
            if current is not None and line.startswith("}"):
                if not current["error"]:
                    stanzas.append(_row(current))
                current = None
                continue
            key, value = _directive(line)
            if key in _SCRIPTS:
                in_script = True
                continue
            if current is not None and current["error"]:
                continue  # logrotate skips the rest of a refused stanza
            if key == "include" and value and current is None:
                include(_words(value)[0] if _words(value) else value, depth + 1)
                continue
            if key in ("tabooext", "taboopat"):
                if current is not None:
                    invalid.append(where)  # "may not appear inside of log file definition"
                    current["error"] = True
                else:
                    taboo = taboo_update(taboo, key, value)
                continue
            try:
                _apply(current["settings"] if current is not None else defaults, key, value)
            except _Refused:
                invalid.append(where)
                if current is not None:
                    current["error"] = True  # "found error in <stanza>, skipping"
                else:  # "found error in file <path>, skipping": the rest is not read
                    defaults.clear()
                    defaults.update(before)
                    return
        if current is not None and not current["error"]:
            stanzas.append(_row(current))  # left open at the end of the file: logrotate 3.21 keeps it

    if ctx.transport.exists(MAIN):
        visit(MAIN, 0)
    else:
        include("/etc/logrotate.d", 1)
    return {"files": files, "unreadable": unreadable, "unverified": unverified, "ignored": ignored,
            "blocked": blocked[0] if blocked else None, "owners_known": known_owners, "invalid": invalid,
            "skipped": skipped, "stanzas": [] if blocked else stanzas,
            "defaults": {k: defaults[k] for k in _KEEP if k in defaults}}


def _row(current: dict[str, Any]) -> dict[str, Any]:
    st = current["settings"]
    return {"paths": current["paths"], "source": current["source"], **{k: st[k] for k in _KEEP if k in st},
            "retention_days": retention_days(st)}
