"""System hygiene: boot time, time synchronisation, updates (facts/linux/updates.py), the OS support window
and disk encryption.

Files are read first; the few commands (chronyc, timedatectl) get 3 s.
In --root mode only configuration and enabled units are seen (what would run at boot).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.commands import run_short
from secaudit.facts.linux.host import parse_btime
from secaudit.facts.linux.procs import process_names
from secaudit.facts.linux.sources.osrelease import os_release
from secaudit.facts.linux.sources.systemd import enabled_unit
from secaudit.facts.linux.updates import auto_updates, last_update, pending
from secaudit.facts.model import SystemTable
from secaudit.facts.registry import collector
from secaudit.timefmt import rfc3339
from secaudit.transport.base import CommandFailed, FactUnavailable


@cache
def os_eol_table() -> dict[str, Any]:
    """The shipped end-of-life table (data, not code: secaudit/data/os_eol.yaml)."""
    from secaudit.resources import load_data

    data: dict[str, Any] = load_data("os_eol.yaml")
    return data


def support_end(rel: dict[str, str], table: dict[str, Any]) -> dict[str, Any]:
    """{key, end, note, rolling} for an os-release mapping; end None when the OS is not listed."""
    os_id = rel.get("ID", "").strip().lower()
    version = rel.get("VERSION_ID", "").strip()
    os_id = (table.get("aliases") or {}).get(os_id, os_id)
    if os_id == "centos" and "stream" in rel.get("NAME", "").lower():
        os_id = "centos-stream"
    if os_id in (table.get("rolling") or []):
        return {"key": os_id, "end": None, "note": "rolling release", "rolling": True}
    releases = (table.get("releases") or {}).get(os_id) or {}
    parts = version.split(".", 4)[:4]  # the table has at most major.minor.patch; a million dots is hostile
    for n in range(len(parts), 0, -1):
        entry = releases.get(".".join(parts[:n]))
        if entry is not None:
            end = entry["end"] if isinstance(entry, dict) else entry
            note = entry.get("note") if isinstance(entry, dict) else None
            return {"key": f"{os_id} {'.'.join(parts[:n])}", "end": str(end), "note": note, "rolling": False}
    return {"key": f"{os_id} {version}".strip(), "end": None, "note": None, "rolling": False}


_TIME_UNITS = (
    ("chrony", ("chrony.service", "chronyd.service"), ("chronyd",)),
    ("ntpd", ("ntp.service", "ntpd.service", "ntpsec.service"), ("ntpd",)),
    ("openntpd", ("openntpd.service",), ()),
    ("timesyncd", ("systemd-timesyncd.service",), ("systemd-timesyn",)),
)


def _time_service(ctx: FactContext) -> tuple[str, str | None, bool | None]:
    """(service, where it was seen, running?); running is None without a running system."""
    procs = process_names(ctx)
    for name, _, comms in _TIME_UNITS:
        for comm in comms:
            if procs is not None and comm in procs:
                if name == "ntpd" and ctx.transport.exists("/etc/openntpd/ntpd.conf"):
                    return "openntpd", "running process ntpd (OpenNTPD)", True
                return name, f"running process {comm}", True
    for name, units, _ in _TIME_UNITS:
        link = enabled_unit(ctx, *units)
        if link:
            return name, link, None if procs is None else False
    return "none", None, None if procs is None else False


def _time_synced(ctx: FactContext, service: str) -> tuple[bool | None, str | None]:
    if ctx.transport.exists("/run/systemd/timesync/synchronized"):
        return True, "/run/systemd/timesync/synchronized"
    problem: FactUnavailable | None = None
    if service == "chrony":
        try:
            res = run_short(ctx, ["chronyc", "-n", "tracking"])
            m = re.search(r"^Leap status\s*:\s*(.+)$", res.stdout, re.M)
            if res.rc == 0 and m:
                return m.group(1).strip().lower() == "normal", f"chronyc -n tracking: Leap status {m.group(1).strip()}"
        except FactUnavailable as exc:
            problem = exc
    try:
        res = run_short(ctx, ["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
        value = res.stdout.strip().lower()
        if res.rc == 0 and value in ("yes", "no"):
            return value == "yes", f"timedatectl NTPSynchronized={value}"
        problem = problem or CommandFailed(f"timedatectl: {res.stderr.strip()[:160] or 'no answer'}")
    except FactUnavailable as exc:
        problem = problem or exc
    detail = problem.detail if problem else "no clock synchronisation status available"
    ctx.unknown("system.time_synced", problem.code if problem else "not_found", detail)
    return None, None


def _disk_encryption(ctx: FactContext) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    text = ctx.read_text("/etc/crypttab", unknown_key="system.disk_encryption")
    for lineno, line in enumerate((text or "").splitlines(), 1):
        fields = line.split()
        if len(fields) < 2 or fields[0].startswith("#"):
            continue
        opts = fields[3].split(",") if len(fields) > 3 else []
        kind = next((k for k in ("luks", "plain", "tcrypt", "bitlk") if k in opts), "luks")
        out.append({"name": fields[0], "device": fields[1], "kind": kind, "source": f"/etc/crypttab:{lineno}"})
    if ctx.transport.live:
        for dev in ctx.list_dir("/sys/block"):
            uuid = ctx.read_text(f"/sys/block/{dev}/dm/uuid")
            if not uuid or not uuid.startswith("CRYPT-"):
                continue
            name = (ctx.read_text(f"/sys/block/{dev}/dm/name") or dev).strip()
            out.append({"name": name, "device": f"/dev/{dev}", "kind": uuid.split("-")[1].lower(),
                        "source": f"/sys/block/{dev}/dm/uuid", "active": True})
    return out


@collector("system", ("system",))
def collect_system(ctx: FactContext) -> None:
    live = ctx.transport.live
    table: SystemTable = {}
    # Boot time.
    table["boot_time"] = None
    if live:
        btime = parse_btime(ctx.read_text("/proc/stat", unknown_key="system.boot_time") or "")
        table["boot_time"] = rfc3339(btime) if btime else None
    else:
        ctx.unknown("system.boot_time", "not_applicable", "no running system in --root mode")
    # Time synchronisation.
    service, service_source, running = _time_service(ctx)
    table["time_sync_service"], table["time_sync_service_source"] = service, service_source
    table["time_sync_running"] = running
    if live:
        table["time_synced"], table["time_sync_source"] = _time_synced(ctx, service)
    else:
        table["time_synced"], table["time_sync_source"] = None, None
        ctx.unknown("system.time_synced", "not_applicable", "the clock is only observable on a running system")
    # Updates.
    table["auto_updates"], table["auto_updates_source"], table["auto_updates_reason"] = auto_updates(ctx)
    if table["auto_updates"] is None and table["auto_updates_source"] is None:
        ctx.unknown("system.auto_updates", "not_applicable", "no apt or dnf/yum package manager found")
    table["last_update_time"], table["last_update_source"] = last_update(ctx)
    if table["last_update_time"] is None:
        ctx.unknown("system.last_update_time", "not_found", "package history (/var/log/apt/history.log*, "
                    "/var/log/dnf.rpm.log*, /var/log/yum.log)")
    pending(ctx, table)
    # OS support window.
    rel = os_release(ctx).keys
    eol = support_end(rel, os_eol_table())
    compiled = str(os_eol_table().get("compiled", ""))
    table.update({"os_id": rel.get("ID", ""), "os_version": rel.get("VERSION_ID", ""),
                  "os_support_end": eol["end"], "os_support_note": eol["note"], "os_eol_table": compiled,
                  "os_rolling": eol["rolling"]})
    if eol["end"] is None and not eol["rolling"]:
        what = eol["key"] or "the operating system (no /etc/os-release)"
        ctx.unknown("system.os_support_end", "not_found",
                    f"{what} in the shipped end-of-life table (compiled {compiled})")
    table["disk_encryption"] = _disk_encryption(ctx)
    ctx.put("system", table)
