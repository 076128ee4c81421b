"""Backups on Windows: the versions `wbadmin get versions` lists (Windows Server Backup, and Windows 7-style
backups on clients), the Microsoft-Windows-Backup event log (last success, failures since), and the generic
[[backup]] sets of the agent config with Windows paths.

wbadmin prints localised text (a Vietnamese Windows prints Vietnamese labels), so versions are found by what does
not change with the language: the version identifier `MM/DD/YYYY-HH:MM` (UTC) that `wbadmin start recovery
-version:` takes. The backup target is the line before it (that order is the same in every language seen); the
"Backup time" line is local time without a zone and is not used. Event ids (community-derived, not a Microsoft
table): 4 succeeded; 5, 8, 9, 17, 18, 19, 20, 21, 22, 49, 50, 52, 517, 521, 527, 528, 544, 545, 546, 561, 564 failed.

Config sets: a Windows path (D:\\Backup\\db-*.bak) goes to the transport as /D:/Backup/db-*.bak, the form the
backup listing code (posix paths, globs expanded from "/") and the transports use (a UNC path \\\\nas\\share\\x
as //nas/share/x); POSIX permission bits and owners are not
Windows facts, so they are left out (Windows ACLs are not read yet)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.backups import _state, backup_row  # the OS-neutral listing; Linux-only columns dropped
from secaudit.facts.model import BackupRow
from secaudit.facts.registry import collector
from secaudit.facts.windows.probes import as_int, ps_time, rows, text
from secaudit.timefmt import rfc3339
from secaudit.transport.windows import posix_set, windows_path

_VERSION_ID = re.compile(r"(?<!\d)(\d{2})/(\d{2})/(\d{4})-(\d{2}):(\d{2})(?!\d)")
MAX_VERSIONS = 500
MAX_LINES = 20_000
SUCCESS = 4
FAILURES = frozenset({5, 8, 9, 17, 18, 19, 20, 21, 22, 49, 50, 52, 517, 521, 527, 528, 544, 545, 546, 561, 564})
WBADMIN = "wbadmin get versions"
EVENTS = "Get-WinEvent -LogName Microsoft-Windows-Backup"


def _value(line: str) -> str:
    """The text after the label: "Backup target: USB Disk(E:)" -> "USB Disk(E:)" (the first colon that is not in
    a drive letter or a time)."""
    m = re.search(r":\s", line)
    return line[m.end():].strip() if m else line.strip()


def parse_wbadmin(out: str) -> list[dict[str, Any]]:
    """The versions `wbadmin get versions` lists, newest first: {version_id, time (UTC), target}. Text in any UI
    language; a line is a version identifier when its value is exactly MM/DD/YYYY-HH:MM."""
    lines = out.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:MAX_LINES]
    found: dict[str, dict[str, Any]] = {}
    for i, raw in enumerate(lines):
        m = _VERSION_ID.search(raw)
        if not m or raw[m.end():].strip() or ":" not in raw[:m.start()]:
            continue  # the identifier ends its line, after a label
        value = m.group(0)
        month, day, year, hour, minute = (int(g) for g in m.groups())
        try:
            when = datetime(year, month, day, hour, minute, tzinfo=UTC)
        except ValueError:
            continue
        prev = lines[i - 1].strip() if i > 0 else ""
        target = _value(prev) if prev and ":" in prev and not _VERSION_ID.search(prev) else None
        found.setdefault(value, {"version_id": value, "time": rfc3339(when.timestamp()), "target": target or None})
        if len(found) >= MAX_VERSIONS:
            break
    return sorted(found.values(), key=lambda v: v["time"], reverse=True)


def _events(ctx: FactContext) -> dict[str, Any] | None:
    found = rows(ctx, "backup_events", "windows_backup.events")
    if found is None:
        return None
    events = []
    for e in found:
        eid, when = as_int(e.get("Id")), ps_time(e.get("TimeCreated"))
        if eid is not None and when is not None:
            events.append((when, eid))
    events.sort(reverse=True)
    success = next((w for w, i in events if i == SUCCESS), None)
    failures = [(w, i) for w, i in events if i in FAILURES]
    return {
        "last_success_time": success,
        "last_failure_time": failures[0][0] if failures else None,
        "last_failure_id": failures[0][1] if failures else None,
        "failures_since_success": sum(1 for w, _ in failures if success is None or w > success),
        "events_read": len(events),
        "source": f"{EVENTS} -MaxEvents 50 (4: succeeded; 5, 9, 19, 49 ...: failed)",
    }


@collector("windows_backup", ("windows_backup",))
def collect_windows_backup(ctx: FactContext) -> None:
    out = text(ctx, "wbadmin_versions", "windows_backup.versions")
    events = _events(ctx)
    if out is None and events is None:
        ctx.unknown("windows_backup", "not_found", "neither wbadmin nor the backup event log could be read")
        return
    versions = parse_wbadmin(out) if out is not None else None
    ctx.put("windows_backup", {
        "versions": versions[:50] if versions is not None else None,
        "count": len(versions) if versions is not None else None,
        "newest_time": versions[0]["time"] if versions else None,
        "targets": sorted({v["target"] for v in versions or [] if v["target"]}),
        "events": events,
        "source": WBADMIN if out is not None else EVENTS,
    })


# --- the [[backup]] sets of the config --------------------------------------------------------------------------

_LINUX_ONLY = ("mode", "uid", "gid")


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _LINUX_ONLY}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _windows_row(ctx: FactContext, bset: Any, entry: dict[str, Any], state_file: str) -> BackupRow:
    listed = posix_set(bset)  # the same paths `secaudit backup verify` works on
    row: dict[str, Any] = _strip(dict(backup_row(ctx, listed, entry, state_file)))
    row["path"] = bset.path  # as the config says it
    for copy in row.get("copies") or []:
        copy["owner"] = copy["group"] = None  # numeric ids of a POSIX view mean nothing here
    row["other_copies"] = []
    if isinstance(row.get("directory"), dict):
        row["directory"]["owner"] = row["directory"]["group"] = None
    if isinstance(row.get("password_file"), dict):
        row["password_file"].pop("owner", None)
        row["password_file"].pop("group", None)
    return row  # type: ignore[return-value]


@collector("backups", ("backups",))
def collect_backups(ctx: FactContext) -> None:
    if not ctx.config.backups:
        ctx.put("backups", [])
        return
    state, state_file = _state(ctx)
    out = []
    for bset in ctx.config.backups:
        entry = state["sets"].get(bset.name)
        entry = entry if isinstance(entry, dict) else {}
        if entry.get("path") not in (None, bset.path) or entry.get("kind") not in (None, bset.kind):
            entry = {}
        try:
            out.append(_windows_row(ctx, bset, entry, state_file))
        except Exception as exc:  # one set that trips the collector is that set's error, not the table's
            from secaudit.facts.linux.backups import _failed_row

            out.append(_failed_row(bset, state_file, f"{type(exc).__name__}: {str(exc)[:200]}"))
    ctx.put("backups", out)


__all__ = ["collect_backups", "collect_windows_backup", "parse_wbadmin", "windows_path"]
