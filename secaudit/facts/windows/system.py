"""System hygiene on Windows: boot time, Windows Time, automatic and recent updates (updates.py), the support
window of the build (host.py, the shipped end-of-life table) and BitLocker (encryption.py)."""

from __future__ import annotations

from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.model import SystemTable
from secaudit.facts.registry import collector
from secaudit.facts.windows.encryption import disk_encryption
from secaudit.facts.windows.host import os_support, probe_result, probes_run
from secaudit.facts.windows.probes import as_int, rows
from secaudit.facts.windows.timesync import parse_w32tm_status
from secaudit.facts.windows.updates import auto_updates, last_update
from secaudit.resources import load_data

_RUNNING, _DISABLED = 4, 4  # Get-Service Status 4 = Running; StartType 4 = Disabled
START_TYPES = {0: "Boot", 1: "System", 2: "Automatic", 3: "Manual", 4: "Disabled"}
STATUSES = {1: "Stopped", 2: "StartPending", 3: "StopPending", 4: "Running", 5: "ContinuePending",
            6: "PausePending", 7: "Paused"}


def services(ctx: FactContext) -> list[dict[str, Any]] | None:
    """Get-Service's rows, once per run (unknown recorded under system.time_sync_service when missing)."""
    return ctx.memo("windows.services.system", lambda: rows(ctx, "services", "system.time_sync_service"))


def _time_service(found: list[dict[str, Any]] | None) -> tuple[str, str | None, bool | None]:
    """(w32time | none, what showed it, running?)."""
    if found is None:
        return "none", None, None
    svc = next((s for s in found if str(s.get("Name") or "").lower() == "w32time"), None)
    if svc is None:
        return "none", "Get-Service: no W32Time service", False
    status, start = as_int(svc.get("Status")), as_int(svc.get("StartType"))
    shown = (f"Get-Service W32Time: {STATUSES.get(status, status) if status is not None else '?'}, "
             f"{START_TYPES.get(start, start) if start is not None else '?'}")
    if start == _DISABLED:
        return "none", shown, False
    return "w32time", shown, status == _RUNNING


def os_version_text(info: dict[str, Any]) -> str:
    """"11 Pro 25H2 (build 26200)": the product from the Caption, the release from the table, the build."""
    caption = str(info.get("caption") or "").removeprefix("Microsoft").strip().removeprefix("Windows").strip()
    name = info["support"].get("name") or ""
    release = name.rsplit(" ", 1)[-1] if name and "Server" not in name and name.split()[-1][:1].isdigit() else ""
    parts = [caption or "?", release if release and release not in caption else "",
             f"(build {info.get('build') or '?'})"]
    return " ".join(p for p in parts if p)


@collector("system", ("system",))
def collect_system(ctx: FactContext) -> None:
    if not probes_run(ctx, "system"):
        return
    table: SystemTable = {}
    info = os_support(ctx)
    table["boot_time"] = info["boot_time"] if info else None
    # Time synchronisation.
    found = services(ctx)
    service, service_source, running = _time_service(found)
    table["time_sync_service"], table["time_sync_service_source"] = service, service_source
    table["time_sync_running"] = running
    table["time_synced"], table["time_sync_source"] = None, None
    res = probe_result(ctx, "time_sync", "system.time_synced")
    out = None if res is None else res.stdout
    if res is not None and res.rc != 0:  # w32tm prints its error on standard output
        said = next((ln.strip() for ln in (res.stdout + "\n" + res.stderr).splitlines() if ln.strip()), "")
        ctx.unknown("system.time_synced", "command_failed", f"probe time_sync: {said[:200] or f'exit {res.rc}'}")
        out = None
    if out is not None:
        status = parse_w32tm_status(out)
        if status is None or status.synced is None:
            first = next((ln.strip() for ln in out.splitlines() if ln.strip()), "no output")
            ctx.unknown("system.time_synced", "error", f"w32tm /query /status: not a status ({first[:160]})")
        else:
            table["time_synced"], table["time_sync_source"] = status.synced, status.describe()
    # Updates.
    table["auto_updates"], table["auto_updates_source"], table["auto_updates_reason"] = auto_updates(ctx, found)
    table["last_update_time"], table["last_update_source"] = last_update(ctx)
    table["pending_security_updates"], table["pending_updates_source"] = None, None
    table["reboot_required"], table["reboot_required_pkgs"] = None, []
    ctx.unknown("system.pending_security_updates", "not_applicable",
                "no Windows probe counts the updates waiting to be installed")
    # OS support window.
    compiled = str(load_data("os_eol.yaml").get("compiled", ""))
    table.update({"os_id": "windows", "os_version": "", "os_support_end": None, "os_support_note": None,
                  "os_eol_table": compiled, "os_rolling": False})
    if info is not None:
        eol = info["support"]
        table.update({"os_version": os_version_text(info), "os_support_end": eol["end"],
                      "os_support_note": eol["note"]})
        if eol["end"] is None:
            what = f"{eol['key']} ({info['caption'] or '?'})"
            ctx.unknown("system.os_support_end", "not_found",
                        f"{what} in the shipped end-of-life table (compiled {compiled})")
    table["disk_encryption"] = disk_encryption(ctx)
    ctx.put("system", table)
