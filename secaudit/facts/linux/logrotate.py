"""logrotate's configuration as logrotate reads it: /etc/logrotate.conf with `include` of files and
directories where it stands (a directory's files sorted, names matching a taboo pattern skipped), global
directives that apply to the stanzas after them (`tabooext`/`taboopat` to the directories included after
them), and `path ... { ... }` stanzas with their own; for each stanza the files it covers, `rotate N` × the
period (daily, weekly, monthly, yearly, hourly) and `maxage` give the days a rotated log is kept."""

from __future__ import annotations

import fnmatch
import re
import shlex
from typing import Any

from secaudit.facts.context import FactContext

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


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()


def _apply(settings: dict[str, Any], words: list[str], where: str, invalid: list[str]) -> None:
    key = words[0].lower()
    if key in PERIOD_DAYS:
        settings["period"] = key
    elif key in ("rotate", "maxage") and len(words) > 1:
        try:
            settings[key] = max(-1, min(int(words[1][:12]), 10 ** 6))  # beyond a million: as good as forever
        except ValueError:
            invalid.append(where)
    elif key in ("size", "maxsize", "minsize") and len(words) > 1:
        settings[key] = words[1]
        if key == "size":
            settings.pop("period", None)  # size replaces the period (logrotate: the last one read wins)
    elif key in ("missingok", "notifempty", "copytruncate", "compress"):
        settings[key] = True
    elif key.startswith("no") and key[2:] in ("missingok", "notifempty", "copytruncate", "compress"):
        settings[key[2:]] = False


def parse_logrotate(ctx: FactContext) -> dict[str, Any]:
    files: list[str] = []
    stanzas: list[dict[str, Any]] = []
    unreadable: list[str] = []
    invalid: list[str] = []
    defaults: dict[str, Any] = {}
    skipped: list[str] = []
    taboo = list(TABOO)  # logrotate keeps one list for the whole run, changed where a directive stands

    def include(target: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        names = ctx.list_dir(target)
        if names:
            for name in sorted(names):
                if name in (".", ".."):
                    continue
                if is_taboo(name, taboo):
                    skipped.append(f"{target.rstrip('/')}/{name}")
                    continue
                visit(f"{target.rstrip('/')}/{name}", depth)
        elif ctx.transport.exists(target):
            visit(target, depth)

    def visit(path: str, depth: int) -> None:
        nonlocal taboo
        if path in files:
            return
        text = ctx.read_text(path, unknown_key="logging.logrotate_conf")
        if text is None:
            unreadable.append(path)
            return
        files.append(path)
        current: dict[str, Any] | None = None
        pending: list[str] = []
        in_script = False
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            where = f"{path}:{lineno}"
            if in_script:
                if line.lower() == "endscript":
                    in_script = False
                continue
            if not line or line.startswith("#"):
                continue
            if current is None and ("{" in line or pending or line.startswith(("/", '"', "'"))):
                head, brace, tail = line.partition("{")
                pending += _words(head)
                if not brace:
                    continue
                current = {"paths": pending, "source": f"{path}:{lineno}", "settings": dict(defaults)}
                pending = []
                line = tail.strip()
                if not line:
                    continue
            if current is not None and line.startswith("}"):
                st = current["settings"]
                stanzas.append({"paths": current["paths"], "source": current["source"],
                                **{k: st[k] for k in _KEEP if k in st},
                                "retention_days": retention_days(st)})
                current = None
                continue
            words = _words(line)
            if not words:
                continue
            key = words[0].lower()
            if key in ("postrotate", "prerotate", "firstaction", "lastaction", "preremove"):
                in_script = True
                continue
            if key == "include" and len(words) > 1 and current is None:
                include(words[1], depth + 1)
                continue
            if key in ("tabooext", "taboopat"):
                if current is not None:
                    invalid.append(where)  # "may not appear inside of log file definition"
                else:
                    taboo = taboo_update(taboo, key, line[len(key):])
                continue
            _apply(current["settings"] if current is not None else defaults, words, where, invalid)
        if current is not None:
            invalid.append(current["source"])  # a stanza never closed: logrotate refuses the file

    if ctx.transport.exists(MAIN):
        visit(MAIN, 0)
    else:
        include("/etc/logrotate.d", 1)
    return {"files": files, "unreadable": unreadable, "invalid": invalid, "skipped": skipped, "stanzas": stanzas,
            "defaults": {k: defaults[k] for k in _KEEP if k in defaults}}
