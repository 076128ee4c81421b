"""logrotate's configuration as logrotate reads it: /etc/logrotate.conf with `include` of files and
directories where it stands (a directory's files sorted, names with a taboo extension skipped), global
directives that apply to the stanzas after them, and `path ... { ... }` stanzas with their own; for each
stanza the files it covers, `rotate N` × the period (daily, weekly, monthly, yearly, hourly) and `maxage`
give the days a rotated log is kept."""

from __future__ import annotations

import shlex
from typing import Any

from secaudit.facts.context import FactContext

MAIN = "/etc/logrotate.conf"
MAX_DEPTH = 8
PERIOD_DAYS = {"hourly": 1 / 24, "daily": 1, "weekly": 7, "monthly": 30, "yearly": 365}
# logrotate's default tabooext list (and the -/~ suffixes packaging leaves behind).
TABOO = (".rpmsave", ".rpmorig", "~", ".disabled", ".dpkg-old", ".dpkg-dist", ".dpkg-new", ".cfsaved",
         ".ucf-old", ".ucf-dist", ".ucf-new", ".rpmnew", ".swp", ".cfsaved", ".rhn-cfg-tmp-*")
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

    def include(target: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        names = ctx.list_dir(target)
        if names:
            for name in sorted(names):
                if name.startswith(".") or any(name.endswith(t.rstrip("*")) for t in TABOO):
                    continue
                visit(f"{target.rstrip('/')}/{name}", depth)
        elif ctx.transport.exists(target):
            visit(target, depth)

    def visit(path: str, depth: int) -> None:
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
            _apply(current["settings"] if current is not None else defaults, words, where, invalid)
        if current is not None:
            invalid.append(current["source"])  # a stanza never closed: logrotate refuses the file

    if ctx.transport.exists(MAIN):
        visit(MAIN, 0)
    else:
        include("/etc/logrotate.d", 1)
    return {"files": files, "unreadable": unreadable, "invalid": invalid, "stanzas": stanzas,
            "defaults": {k: defaults[k] for k in _KEEP if k in defaults}}
